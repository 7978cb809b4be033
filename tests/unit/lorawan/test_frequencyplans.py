"""Frequency plans against github.com/TheThingsNetwork/lorawan-frequency-plans and the gateway formats."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan.errors import LoRaWANError
from lorastack.lorawan.frequencyplans import (
    FrequencyPlanError,
    FrequencyPlanStore,
    basic_station_router_config,
    get_plan,
    list_plans,
    parse_duration,
    sx1301_conf,
)

REQUIRED = [
    "EU_863_870",
    "EU_863_870_TTN",
    "US_902_928_FSB_2",
    "AU_915_928_FSB_2",
    "AS_923",
    "AS_923_2",
    "KR_920_923",
    "IN_865_867",
]


def test_required_plans_are_listed_with_their_band() -> None:
    listed = {d.id: d for d in list_plans()}
    for plan_id in REQUIRED:
        assert plan_id in listed
        assert get_plan(plan_id).band_id == listed[plan_id].band_id
    assert listed["EU_863_870_TTN"].name == "Europe 863-870 MHz (SF9 for RX2 - recommended)"
    assert listed["AS_923_2"].band_id == "AS_923_2"


def test_eu_plans() -> None:
    # lorawan-frequency-plans EU_863_870.yml: 8 channels, 868.3 MHz SF7/250 kHz, FSK 868.8 MHz.
    eu = get_plan("EU_863_870")
    assert [c.frequency for c in eu.uplink_channels][:3] == [868_100_000, 868_300_000, 868_500_000]
    assert len(eu.uplink_channels) == 8
    assert eu.lora_standard_channel is not None and eu.lora_standard_channel.frequency == 868_300_000
    assert eu.fsk_channel is not None and eu.fsk_channel.data_rate == 7
    assert (eu.rx2_channel.frequency, eu.rx2_channel.data_rate) == (869_525_000, 0)
    # EU_863_870_TTN extends EU_863_870 with SF9 (DR3) in RX2.
    ttn = get_plan("EU_863_870_TTN")
    assert ttn.rx2_channel.data_rate == 3
    assert ttn.uplink_channels == eu.uplink_channels
    sub_band = eu.find_sub_band(869_525_000)
    assert sub_band is not None and sub_band.duty_cycle == 0.1 and sub_band.max_eirp == pytest.approx(29.15)


def test_us_and_au_fsb2() -> None:
    us = get_plan("US_902_928_FSB_2")
    assert [c.frequency for c in us.uplink_channels] == [903_900_000 + 200_000 * i for i in range(8)]
    assert us.lora_standard_channel is not None and us.lora_standard_channel.frequency == 904_600_000
    assert us.dwell_time.uplinks is True and us.dwell_time.duration == pytest.approx(0.4)
    assert len(us.downlink_channels) == 8 and us.downlink_channels[0].frequency == 923_300_000
    au = get_plan("AU_915_928_FSB_2")
    assert au.uplink_channels[0].frequency == 916_800_000
    assert au.rx2_channel.data_rate == 8


def test_as923_groups_and_dwell_modifiers() -> None:
    assert [c.frequency for c in get_plan("AS_923_2").uplink_channels] == [921_400_000, 921_600_000]
    assert get_plan("AS_923_DT").dwell_time.downlinks is True
    assert get_plan("AS_923_NDT").dwell_time.uplinks is False


def test_kr_lbt_and_in_downlinks() -> None:
    kr = get_plan("KR_920_923")
    assert kr.lbt is not None and kr.lbt.scan_time_us == 128 and kr.lbt.rssi_target == -80
    india = get_plan("IN_865_867")
    assert [c.frequency for c in india.downlink_channels] == [865_062_500, 865_402_500, 865_985_000]


def test_unknown_plan() -> None:
    with pytest.raises(LoRaWANError):
        get_plan("NOWHERE")


def test_sx1301_conf_eu() -> None:
    # Semtech packet forwarder global_conf.json for EU868: radio_0 867.5 MHz, radio_1 868.5 MHz,
    # multi-SF IFs -400..+400 kHz, standard channel 868.3 MHz SF7/250 kHz, FSK 868.8 MHz 50 kbps.
    conf = sx1301_conf(get_plan("EU_863_870"))
    assert conf["radio_0"]["freq"] == 867_500_000 and conf["radio_0"]["tx_enable"] is True
    assert conf["radio_1"]["freq"] == 868_500_000
    assert conf["chan_multiSF_0"] == {
        "desc": "Lora MAC, 125kHz, all SF, 868.1 MHz",
        "enable": True,
        "radio": 1,
        "if": -400_000,
    }
    assert conf["chan_multiSF_7"]["if"] == 400_000
    assert conf["chan_Lora_std"]["bandwidth"] == 250_000 and conf["chan_Lora_std"]["spread_factor"] == 7
    assert conf["chan_FSK"]["if"] == 300_000 and conf["chan_FSK"]["datarate"] == 50_000
    assert conf["clksrc"] == 1 and conf["lorawan_public"] is True


def test_sx1301_conf_disables_unused_chains_and_has_lbt() -> None:
    conf = sx1301_conf(get_plan("AS_923"))
    assert conf["chan_multiSF_2"] == {"enable": False}
    assert conf["chan_FSK"]["enable"] is True
    kr = sx1301_conf(get_plan("KR_920_923"))
    assert kr["lbt_cfg"]["chan_cfg"][0] == {"freq_hz": 922_100_000, "scan_time_us": 128}


def test_basic_station_router_config() -> None:
    cfg = basic_station_router_config(get_plan("US_902_928_FSB_2"))
    assert cfg["region"] == "US902"
    assert cfg["DRs"][0] == [10, 125, 0]
    assert cfg["DRs"][8] == [12, 500, 1]
    assert cfg["DRs"][7] == [-1, 0, 0]
    assert cfg["nodc"] is True and cfg["nodwell"] is False
    eu = basic_station_router_config(get_plan("EU_863_870"))
    assert eu["DRs"][7] == [0, 0, 0] and eu["freq_range"] == [863_000_000, 870_000_000]
    assert eu["nodc"] is False and eu["nocca"] is True


INDEX = """
- id: TEST_PLAN
  band-id: EU_863_870
  name: Test
  description: A test plan
  base-frequency: 868
  file: test.yml
- id: TEST_CHILD
  band-id: EU_863_870
  base-id: TEST_PLAN
  name: Child
  file: child.yml
- id: LOOP_A
  band-id: EU_863_870
  base-id: LOOP_B
  name: A
- id: LOOP_B
  band-id: EU_863_870
  base-id: LOOP_A
  name: B
"""

PLAN = """
band-id: EU_863_870
uplink-channels:
- {frequency: 868100000, min-data-rate: 0, max-data-rate: 5, radio: 0}
sub-bands:
- {min-frequency: 868000000, max-frequency: 868600000, duty-cycle: 0.01, max-eirp: 16.15}
time-off-air: {fraction: 0.1, duration: 1s}
ping-slot: {frequency: 869525000, radio: 0}
ping-slot-default-data-rate: 3
max-eirp: 27
"""


def test_loader_for_more_plans() -> None:
    store = FrequencyPlanStore.from_texts(INDEX, {"test.yml": PLAN, "child.yml": "rx2-default-data-rate: 3\n"})
    plan = store.get("TEST_PLAN")
    assert len(plan.sub_bands) == 1 and plan.time_off_air.duration == 1.0
    assert plan.ping_slot.data_rate == 3 and plan.max_eirp == 27
    # A 16-channel band without downlink channels answers on the uplink frequencies.
    assert plan.downlink_channels[0].frequency == 868_100_000
    child = store.get("TEST_CHILD")
    assert child.rx2_channel.data_rate == 3 and child.uplink_channels == plan.uplink_channels
    with pytest.raises(FrequencyPlanError):
        store.get("LOOP_A")


def test_loader_errors() -> None:
    with pytest.raises(FrequencyPlanError):
        FrequencyPlanStore.from_texts("a: 1", {})
    store = FrequencyPlanStore.from_texts(INDEX, {"test.yml": "- not a mapping\n"})
    with pytest.raises(FrequencyPlanError):
        store.get("TEST_PLAN")
    with pytest.raises(FrequencyPlanError):
        FrequencyPlanStore.from_texts(INDEX, {}).get("TEST_PLAN")
    with pytest.raises(FrequencyPlanError):
        FrequencyPlanStore.from_texts("- {id: X}", {})
    broken = FrequencyPlanStore.from_texts(INDEX, {"test.yml": "uplink-channels: [{radio: 1}]"})
    with pytest.raises(FrequencyPlanError):
        broken.get("TEST_PLAN")


@pytest.mark.parametrize(("text", "seconds"), [("400ms", 0.4), ("1s", 1.0), ("1m30s", 90.0), (2, 2.0)])
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@settings(deadline=None, max_examples=100)
@given(st.text(max_size=12))
def test_parse_duration_never_crashes(text: str) -> None:
    with contextlib.suppress(FrequencyPlanError):
        assert parse_duration(text) >= 0
