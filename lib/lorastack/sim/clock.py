"""Concentrator clocks of simulated gateways: the 32-bit microsecond ``tmst`` of the Semtech packet
forwarder (PROTOCOL.TXT section 4) and the 48-bit ``xtime`` of LoRa Basics Station (session id above)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["TMST_MODULUS", "XTIME_MASK", "ConcentratorClock", "tmst_delta"]

TMST_MODULUS = 1 << 32
XTIME_MASK = (1 << 48) - 1


def tmst_delta(later: int, earlier: int) -> int:
    """Signed microseconds from ``earlier`` to ``later`` on a 32-bit counter that wraps every ~71.6 min."""
    delta = (later - earlier) % TMST_MODULUS
    return delta - TMST_MODULUS if delta >= TMST_MODULUS // 2 else delta


@dataclass(slots=True)
class ConcentratorClock:
    """A free-running microsecond counter with a random origin, like the one in an SX130x chip.

    ``now`` is the monotonic time source (seconds); tests pass a fake one to step time by hand.
    """

    now: Callable[[], float] = time.monotonic
    origin_us: int = field(default_factory=lambda: random.randrange(TMST_MODULUS))
    session: int = field(default_factory=lambda: random.randrange(1, 1 << 16))
    _start: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._start = self.now()

    def counter_at(self, monotonic: float) -> int:
        """The unwrapped 48-bit counter value at a monotonic instant."""
        return (self.origin_us + round((monotonic - self._start) * 1_000_000)) & XTIME_MASK

    def tmst_at(self, monotonic: float) -> int:
        return self.counter_at(monotonic) % TMST_MODULUS

    def xtime_at(self, monotonic: float) -> int:
        return (self.session << 48) | self.counter_at(monotonic)

    def tmst(self) -> int:
        return self.tmst_at(self.now())

    def xtime(self) -> int:
        return self.xtime_at(self.now())

    def monotonic_of_tmst(self, tmst: int) -> float:
        """The monotonic instant (nearest to now) at which the counter reads ``tmst``."""
        current = self.now()
        return current + tmst_delta(tmst, self.tmst_at(current)) / 1_000_000

    def monotonic_of_xtime(self, xtime: int) -> float:
        current = self.now()
        return current + ((xtime & XTIME_MASK) - self.counter_at(current)) / 1_000_000
