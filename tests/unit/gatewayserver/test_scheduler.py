"""Per-gateway scheduling: timing, conflicts, EU868 duty cycle, dwell time, frequency and power."""

from __future__ import annotations

import dataclasses

import pytest

from gatewayserver import errors
from gatewayserver.scheduling.scheduler import Scheduler
from lorastack.errors import LorastackError
from lorastack.lorawan.band import LoRaModulation
from lorastack.lorawan.frequencyplans import DwellTime, get_plan

SF12 = LoRaModulation(12, 125_000)
SF7 = LoRaModulation(7, 125_000)
EU = get_plan("EU_863_870")
NOW = 10_000_000


def _scheduler(**kwargs: object) -> Scheduler:
    return Scheduler(EU, lead_us=100_000, **kwargs)  # type: ignore[arg-type]


def _refused(err: pytest.ExceptionInfo[LorastackError], definition: object) -> bool:
    return err.value.definition == definition


def test_rx1_is_booked_at_the_requested_time() -> None:
    s = _scheduler()
    emission = s.schedule_at(NOW + 1_000_000, 20, SF7, 868_100_000, NOW)
    assert emission.start == NOW + 1_000_000
    assert emission.airtime == s.airtime(20, SF7) > 0
    assert emission.tx_power == pytest.approx(16.15)


def test_too_late() -> None:
    with pytest.raises(LorastackError) as err:
        _scheduler().schedule_at(NOW + 50_000, 20, SF7, 868_100_000, NOW)
    assert _refused(err, errors.too_late)
    assert err.value.attributes["delta_ms"] == 50


def test_overlapping_downlinks_conflict() -> None:
    s = _scheduler()
    s.schedule_at(NOW + 1_000_000, 20, SF12, 868_100_000, NOW)
    with pytest.raises(LorastackError) as err:
        s.schedule_at(NOW + 1_500_000, 20, SF7, 869_525_000, NOW)
    assert _refused(err, errors.schedule_conflict)
    # After the first one ended (plus guard) the gateway is free again.
    later = s.schedule_at(NOW + 3_000_000, 20, SF7, 869_525_000, NOW)
    assert later.start == NOW + 3_000_000


def test_eu868_duty_cycle_exhaustion() -> None:
    s = _scheduler()
    airtime = s.airtime(20, SF12)
    allowance = 0.01 * 3600 * 1_000_000  # g1 sub-band 868.0-868.6 MHz: 1 %
    booked = 0
    with pytest.raises(LorastackError) as err:
        for index in range(100):
            s.schedule_at(NOW + 1_000_000 + index * 2_000_000, 20, SF12, 868_100_000, NOW)
            booked += 1
    assert _refused(err, errors.duty_cycle)
    assert booked == int(allowance // airtime)
    # Another sub-band (869.4-869.65 MHz, 10 %) is still available.
    s.schedule_at(NOW + 1_000_000 + 100 * 2_000_000, 20, SF12, 869_525_000, NOW)


def test_duty_cycle_not_enforced_when_the_gateway_opts_out() -> None:
    s = _scheduler(enforce_duty_cycle=False)
    for index in range(40):
        s.schedule_at(NOW + 1_000_000 + index * 2_000_000, 20, SF12, 868_100_000, NOW)


def test_class_c_goes_to_the_first_free_moment() -> None:
    s = _scheduler()
    first = s.schedule_anytime(NOW, 20, SF12, 869_525_000, NOW)
    assert first.start == NOW + 100_000
    second = s.schedule_anytime(NOW, 20, SF12, 869_525_000, NOW)
    assert second.start >= first.end
    assert not (second.start < first.end)


def test_dwell_time() -> None:
    plan = dataclasses.replace(EU, dwell_time=DwellTime(downlinks=True, duration=0.4))
    s = Scheduler(plan, lead_us=100_000)
    s.schedule_at(NOW + 1_000_000, 20, SF7, 868_100_000, NOW)
    with pytest.raises(LorastackError) as err:
        s.schedule_at(NOW + 5_000_000, 20, SF12, 868_100_000, NOW)
    assert _refused(err, errors.dwell_time)


def test_frequency_outside_the_plan() -> None:
    with pytest.raises(LorastackError) as err:
        _scheduler().schedule_at(NOW + 1_000_000, 20, SF7, 915_200_000, NOW)
    assert _refused(err, errors.invalid_frequency)


def test_power_follows_sub_band_and_antenna_gain() -> None:
    s = _scheduler(antenna_gain=3.0)
    assert s.tx_power(869_525_000) == pytest.approx(26.15)
    assert s.tx_power(868_100_000) == pytest.approx(13.15)
