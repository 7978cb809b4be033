"""Duty-cycle bookkeeping: EU868 sub-band limits (RP002-1.0.3 2.2.1, ETSI EN 300 220-2 bands M and P)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan.band import SubBand, get_band
from lorastack.lorawan.dutycycle import DutyCycleError, DutyCycleTracker
from lorastack.lorawan.errors import LoRaWANError

EU = get_band("EU_863_870")
G = 868_100_000  # band M, 1 %: 36 s per hour
G3 = 869_525_000  # band P, 10 %: 360 s per hour


def test_one_percent_per_hour() -> None:
    dc = DutyCycleTracker(EU.sub_bands)
    assert dc.can_transmit(G, 0.0, 36.0)
    assert not dc.can_transmit(G, 0.0, 36.1)
    assert dc.try_record(G, 0.0, 30.0)
    assert dc.can_transmit(G, 100.0, 6.0)
    assert not dc.can_transmit(G, 100.0, 6.5)
    # Band P is booked separately and allows ten times more.
    assert dc.can_transmit(G3, 100.0, 300.0)
    assert dc.utilization(G, 100.0) == pytest.approx(30 / 36)


def test_window_slides() -> None:
    dc = DutyCycleTracker(EU.sub_bands)
    dc.record(G, 0.0, 36.0)
    assert not dc.can_transmit(G, 1000.0, 1.0)
    # At 3636 s the first transmission has left the hour that ends at 3637 s.
    assert dc.can_transmit(G, 3636.0, 1.0)
    assert dc.next_available(G, 1000.0, 1.0) == pytest.approx(3635.0)


def test_concentrator_microseconds() -> None:
    dc = DutyCycleTracker(EU.sub_bands, window=3_600_000_000)
    dc.record(G, 10_000_000, 36_000_000)
    assert not dc.can_transmit(G, 50_000_000, 1_000)
    assert dc.used(G, 50_000_000) == 36_000_000


def test_no_duty_cycle_band() -> None:
    dc = DutyCycleTracker(get_band("US_902_928").sub_bands)
    dc.record(923_300_000, 0, 3600)
    assert dc.can_transmit(923_300_000, 0, 10)


def test_errors() -> None:
    dc = DutyCycleTracker(EU.sub_bands)
    with pytest.raises(LoRaWANError):
        dc.can_transmit(869_300_000, 0, 1)
    with pytest.raises(DutyCycleError):
        dc.record(G, 0, -1)
    with pytest.raises(DutyCycleError):
        dc.next_available(G, 0, 100)
    with pytest.raises(DutyCycleError):
        DutyCycleTracker(EU.sub_bands, window=0)


@settings(deadline=None, max_examples=100)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 5)), max_size=60))
def test_never_exceeds_allowance(steps: list[tuple[float, float]]) -> None:
    sub_band = SubBand(0, 1000, 0.05, 14)
    dc = DutyCycleTracker([sub_band], window=100.0)
    now = 0.0
    for gap, airtime in steps:
        # Bookings may also be made ahead of time, as for scheduled downlinks.
        now += gap
        dc.try_record(500, now, airtime)
    for t in range(0, 800):
        assert dc.used(500, t * 0.5) <= 5.0 + 1e-6
