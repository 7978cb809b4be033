"""A gateway's concentrator clock: 32-bit microsecond counters made monotonic, and mapped to server time."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROLLOVER", "ConcentratorClock", "unwrap"]

ROLLOVER = 1 << 32  # the SX1301 counter wraps about every 71.6 minutes


def unwrap(reference: int, timestamp: int) -> int:
    """The 64-bit concentrator time of a 32-bit ``timestamp`` closest to ``reference``."""
    base = reference - (reference % ROLLOVER)
    candidate = base + (timestamp % ROLLOVER)
    if candidate - reference > ROLLOVER // 2:
        candidate -= ROLLOVER
    elif reference - candidate > ROLLOVER // 2:
        candidate += ROLLOVER
    return candidate


@dataclass(slots=True)
class ConcentratorClock:
    """Last known (server time, concentrator time) pair of one gateway.

    Server times are seconds on any monotonic-ish clock shared with the caller (``time.time()`` so
    uplink tokens can be compared across replicas); concentrator times are microseconds, unwrapped.
    """

    server_time: float = 0.0
    concentrator_time: int = 0
    synced: bool = False

    def sync(self, server_time: float, timestamp: int) -> int:
        """Record a 32-bit timestamp seen at ``server_time``; returns its unwrapped value."""
        unwrapped = timestamp % ROLLOVER if not self.synced else unwrap(self.estimate(server_time), timestamp)
        self.server_time = server_time
        self.concentrator_time = unwrapped
        self.synced = True
        return unwrapped

    def sync_unwrapped(self, server_time: float, concentrator_time: int) -> None:
        self.server_time = server_time
        self.concentrator_time = concentrator_time
        self.synced = True

    def estimate(self, server_time: float) -> int:
        """Concentrator time at ``server_time``, assuming both clocks run at the same rate."""
        return self.concentrator_time + round((server_time - self.server_time) * 1_000_000)
