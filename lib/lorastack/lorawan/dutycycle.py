"""Per-sub-band duty-cycle bookkeeping for a gateway's transmissions (ETSI EN 300 220 sliding window).

Regional limits come from the band or frequency plan sub-bands (RP002-1.0.3 section 2.2.1 for EU868).
No clock is read: every call takes the time as an argument, in any monotonic unit (seconds or
concentrator microseconds) as long as airtimes and the window use the same unit.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from lorastack.lorawan.band.base import SubBand
from lorastack.lorawan.errors import LoRaWANError

__all__ = ["DutyCycleError", "DutyCycleTracker", "Transmission"]


class DutyCycleError(LoRaWANError):
    """A frequency outside every sub-band, or a negative airtime."""


@dataclass(frozen=True, slots=True)
class Transmission:
    start: float
    airtime: float

    @property
    def end(self) -> float:
        return self.start + self.airtime


class DutyCycleTracker:
    """Airtime used per sub-band over a sliding window (default one hour, in seconds).

    ``can_transmit`` asks whether a transmission starting at ``start`` keeps the sub-band's
    airtime in the window that ends when it ends within ``duty_cycle * window``; ``record``
    books it. Transmissions older than the window are forgotten as time moves on.
    """

    def __init__(self, sub_bands: Iterable[SubBand], window: float = 3600.0) -> None:
        if window <= 0:
            raise DutyCycleError("the duty-cycle window must be positive")
        self._sub_bands = tuple(sub_bands)
        self._window = window
        self._booked: dict[SubBand, list[Transmission]] = {sb: [] for sb in self._sub_bands}

    @property
    def window(self) -> float:
        return self._window

    def sub_band(self, frequency: int) -> SubBand:
        for sub_band in self._sub_bands:
            if sub_band.contains(frequency):
                return sub_band
        raise DutyCycleError(f"{frequency} Hz is in no sub-band of this plan")

    def used(self, frequency: int, window_end: float) -> float:
        """Airtime of the sub-band inside (window_end - window, window_end]."""
        return self._used(self.sub_band(frequency), window_end)

    def utilization(self, frequency: int, now: float) -> float:
        """Used share of the sub-band's allowance in the window ending at ``now`` (1.0 = full)."""
        sub_band = self.sub_band(frequency)
        return self._used(sub_band, now) / (sub_band.duty_cycle * self._window)

    def can_transmit(self, frequency: int, start: float, airtime: float) -> bool:
        sub_band = self.sub_band(frequency)
        if airtime < 0:
            raise DutyCycleError("airtime must not be negative")
        if sub_band.duty_cycle >= 1:
            return True
        allowance = sub_band.duty_cycle * self._window + 1e-9
        new = Transmission(start, airtime)
        # The windowed sum peaks where a window ends on a transmission's end or starts on a
        # transmission's start, so those are the only window ends worth checking.
        ends = {new.end, start + self._window}
        for tx in self._booked[sub_band]:
            ends.update((tx.end, tx.start + self._window))
        return all(
            self._used(sub_band, t) + _overlap(new, t - self._window, t) <= allowance
            for t in ends
            if new.end <= t <= new.end + self._window
        )

    def next_available(self, frequency: int, start: float, airtime: float) -> float:
        """Earliest time at or after ``start`` when ``can_transmit`` becomes true."""
        if self.can_transmit(frequency, start, airtime):
            return start
        sub_band = self.sub_band(frequency)
        if airtime > sub_band.duty_cycle * self._window:
            raise DutyCycleError("the airtime exceeds the whole duty-cycle allowance")
        # Usage only falls when a booked transmission slides out of the window, so try those moments.
        for tx in self._booked[sub_band]:
            candidate = tx.end + self._window - airtime
            if candidate > start and self.can_transmit(frequency, candidate, airtime):
                return candidate
        booked = self._booked[sub_band]
        return max(start, booked[-1].end + self._window - airtime) if booked else start

    def record(self, frequency: int, start: float, airtime: float) -> None:
        if airtime < 0:
            raise DutyCycleError("airtime must not be negative")
        sub_band = self.sub_band(frequency)
        booked = self._booked[sub_band]
        bisect.insort(booked, Transmission(start, airtime), key=lambda tx: tx.start)
        self._forget(booked, start)

    def try_record(self, frequency: int, start: float, airtime: float) -> bool:
        """Book the transmission if the duty cycle allows it; say whether it was booked."""
        if not self.can_transmit(frequency, start, airtime):
            return False
        self.record(frequency, start, airtime)
        return True

    def _used(self, sub_band: SubBand, window_end: float) -> float:
        window_start = window_end - self._window
        total = 0.0
        for tx in self._booked[sub_band]:
            if tx.start >= window_end:
                break
            total += _overlap(tx, window_start, window_end)
        return total

    def _forget(self, booked: list[Transmission], now: float) -> None:
        # Keep one window back from the newest start: a later query never looks further.
        horizon = now - self._window
        drop = 0
        while drop < len(booked) and booked[drop].end <= horizon:
            drop += 1
        del booked[:drop]


def _overlap(tx: Transmission, window_start: float, window_end: float) -> float:
    return max(0.0, min(tx.end, window_end) - max(tx.start, window_start))
