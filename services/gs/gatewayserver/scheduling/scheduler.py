"""One gateway's transmission schedule in concentrator time: timing, overlap, duty cycle, dwell time, power.

Duty cycle per sub-band follows RP002-1.0.3 section 2.2.1 / ETSI EN 300 220 (lorawan/dutycycle.py);
dwell time the frequency plan (400 ms where a regulator such as ARIB STD-T108 asks for it).
All times are unwrapped concentrator microseconds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from gatewayserver import errors
from lorastack.lorawan.airtime import time_on_air_us
from lorastack.lorawan.band import Modulation, get_band
from lorastack.lorawan.dutycycle import DutyCycleTracker
from lorastack.lorawan.frequencyplans import FrequencyPlan

__all__ = ["Emission", "Scheduler"]

# RP002 dwell limit used when a band boots with downlink dwell time but the plan names no duration.
_DEFAULT_DWELL_US = 400_000
# Back-to-back transmissions still need the radio to switch over.
_GUARD_US = 10_000
_ANYTIME_ATTEMPTS = 64


@dataclass(frozen=True, slots=True)
class Emission:
    start: int
    airtime: int
    frequency: int
    tx_power: float

    @property
    def end(self) -> int:
        return self.start + self.airtime


class Scheduler:
    """Books transmissions of one gateway; every refusal is a ``pkg/gatewayserver/scheduling`` error."""

    def __init__(
        self,
        plan: FrequencyPlan,
        *,
        enforce_duty_cycle: bool = True,
        antenna_gain: float = 0.0,
        lead_us: int = 150_000,
    ) -> None:
        self.plan = plan
        self.band = get_band(plan.band_id)
        self._enforce_duty_cycle = enforce_duty_cycle
        self._antenna_gain = antenna_gain
        self.lead_us = lead_us
        self.duty_cycle = DutyCycleTracker(plan.sub_bands or self.band.sub_bands)
        self._emissions: list[Emission] = []

    def tx_power(self, frequency: int) -> float:
        """EIRP allowed at ``frequency`` minus the antenna gain: the conducted power to ask the radio for."""
        self.check_frequency(frequency)
        sub_band = self.plan.find_sub_band(frequency) or self.band.find_sub_band(frequency)
        # The sub-band's regulatory limit; the band's device default only where no sub-band says more.
        limits = [sub_band.max_eirp if sub_band is not None else self.band.default_max_eirp]
        if self.plan.max_eirp is not None:
            limits.append(self.plan.max_eirp)
        power = min(limits) - self._antenna_gain
        if power <= 0:
            raise errors.invalid_tx_power(frequency=frequency)
        return power

    def check_frequency(self, frequency: int) -> None:
        in_plan = self.plan.find_sub_band(frequency) is not None if self.plan.sub_bands else True
        tx_ranges = [r.tx for r in self.plan.radios if r.tx is not None]
        in_radio = not tx_ranges or any(t.min_frequency <= frequency <= t.max_frequency for t in tx_ranges)
        if not in_plan or not in_radio or self.band.find_sub_band(frequency) is None:
            raise errors.invalid_frequency(frequency=frequency)

    def airtime(self, payload_size: int, modulation: Modulation) -> int:
        return time_on_air_us(payload_size, modulation, downlink=True)

    def _dwell_limit_us(self) -> int | None:
        dwell = self.plan.dwell_time
        if dwell.downlinks or (dwell.downlinks is None and self.band.boot_downlink_dwell_time):
            return round(dwell.duration * 1_000_000) if dwell.duration else _DEFAULT_DWELL_US
        return None

    def schedule_at(self, start: int, payload_size: int, modulation: Modulation, frequency: int, now: int) -> Emission:
        """Book a transmission at exactly ``start`` (class A RX1/RX2)."""
        emission = self._candidate(start, payload_size, modulation, frequency)
        if start - now < self.lead_us:
            raise errors.too_late(delta_ms=(now + self.lead_us - start) // 1000)
        if self._conflict(emission) is not None:
            raise errors.schedule_conflict()
        if not self._duty_cycle_allows(emission):
            raise errors.duty_cycle()
        return self._book(emission)

    def schedule_anytime(
        self, earliest: int, payload_size: int, modulation: Modulation, frequency: int, now: int
    ) -> Emission:
        """Book the first free moment at or after ``earliest`` (class C), moving past conflicts and duty cycle."""
        start = max(earliest, now + self.lead_us)
        emission = self._candidate(start, payload_size, modulation, frequency)
        for _ in range(_ANYTIME_ATTEMPTS):
            conflict = self._conflict(emission)
            if conflict is not None:
                emission = self._moved(emission, conflict.end + _GUARD_US)
                continue
            if self._duty_cycle_allows(emission):
                return self._book(emission)
            if not self._enforce_duty_cycle:
                return self._book(emission)
            available = self.duty_cycle.next_available(frequency, emission.start / 1e6, emission.airtime / 1e6)
            # Duty cycle frees up far later than a class C downlink is still worth sending.
            if available * 1e6 - now > 60_000_000:
                raise errors.duty_cycle()
            emission = self._moved(emission, max(emission.start + 1, round(available * 1e6) + 1))
        raise errors.schedule_conflict()

    def emissions(self) -> tuple[Emission, ...]:
        return tuple(self._emissions)

    def forget_before(self, now: int) -> None:
        """Drop transmissions that ended before ``now`` (duty-cycle history is kept by its tracker)."""
        keep = [e for e in self._emissions if e.end >= now]
        self._emissions = keep

    def _candidate(self, start: int, payload_size: int, modulation: Modulation, frequency: int) -> Emission:
        power = self.tx_power(frequency)
        airtime = self.airtime(payload_size, modulation)
        limit = self._dwell_limit_us()
        if limit is not None and airtime > limit:
            raise errors.dwell_time(airtime_ms=airtime // 1000, dwell_ms=limit // 1000)
        return Emission(start, airtime, frequency, power)

    @staticmethod
    def _moved(emission: Emission, start: int) -> Emission:
        return Emission(start, emission.airtime, emission.frequency, emission.tx_power)

    def _conflict(self, emission: Emission) -> Emission | None:
        for other in self._emissions:
            if emission.start < other.end + _GUARD_US and other.start < emission.end + _GUARD_US:
                return other
        return None

    def _duty_cycle_allows(self, emission: Emission) -> bool:
        if not self._enforce_duty_cycle:
            return True
        return self.duty_cycle.can_transmit(emission.frequency, emission.start / 1e6, emission.airtime / 1e6)

    def _book(self, emission: Emission) -> Emission:
        bisect.insort(self._emissions, emission, key=lambda e: e.start)
        self.duty_cycle.record(emission.frequency, emission.start / 1e6, emission.airtime / 1e6)
        return emission
