"""What a simulated device counts; the runner sums them over all devices for the summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

__all__ = ["DeviceCounters"]


@dataclass(slots=True)
class DeviceCounters:
    join_requests: int = 0
    joins: int = 0
    join_accept_mic_failures: int = 0
    rejoin_requests: int = 0
    rejoins: int = 0
    uplinks: int = 0
    confirmed_uplinks: int = 0
    uplinks_not_heard: int = 0
    uplinks_skipped_busy: int = 0
    acks: int = 0
    confirmed_unacked: int = 0
    downlinks_rx1: int = 0
    downlinks_rx2: int = 0
    downlinks_rxc: int = 0
    confirmed_downlinks: int = 0
    application_downlinks: int = 0
    mic_failures: int = 0
    f_cnt_errors: int = 0
    mac_commands: int = 0
    mac_answers: int = 0
    missed: Counter[str] = field(default_factory=Counter)

    @property
    def downlinks(self) -> int:
        return self.downlinks_rx1 + self.downlinks_rx2 + self.downlinks_rxc

    def as_dict(self) -> dict[str, int]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "missed"}
        out.update({f"missed_{reason}": count for reason, count in sorted(self.missed.items())})
        return out

    def add(self, other: DeviceCounters) -> None:
        for f in fields(self):
            if f.name == "missed":
                self.missed.update(other.missed)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
