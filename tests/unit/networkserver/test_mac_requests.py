"""What the NS asks of a device: (device state, expected requests) tables, and ADR's LinkADRReq."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from lorastack.lorawan import (
    DevStatusReq,
    DlChannelReq,
    DutyCycleReq,
    LinkADRReq,
    MACCommand,
    NewChannelReq,
    RXParamSetupReq,
    RXTimingSetupReq,
    get_band,
)
from networkserver.mac import plan_requests
from networkserver.mac.requests import apply_adr, mask_blocks
from networkserver.macstate import initial_mac_state
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

BAND = get_band("EU_863_870")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _device() -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(
        frequency_plan_id="EU_863_870",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
    )
    device.mac_state.CopyFrom(initial_mac_state(device))
    # Start from a device that already runs the plan, so each case changes one thing.
    device.mac_state.current_parameters.CopyFrom(device.mac_state.desired_parameters)
    device.mac_state.last_dev_status_f_cnt_up = 10
    return device


def _set(change: Callable[[end_device_pb2.EndDevice], None]) -> end_device_pb2.EndDevice:
    device = _device()
    change(device)
    return device


CASES: list[tuple[str, end_device_pb2.EndDevice, list[MACCommand]]] = [
    ("nothing to change", _device(), []),
    (
        "rx2 data rate",
        _set(lambda d: setattr(d.mac_state.desired_parameters, "rx2_data_rate_index", 3)),
        [RXParamSetupReq(0, 3, 869_525_000)],
    ),
    (
        "rx1 delay",
        _set(lambda d: setattr(d.mac_state.desired_parameters, "rx1_delay", 5)),
        [RXTimingSetupReq(5)],
    ),
    (
        "duty cycle",
        _set(lambda d: setattr(d.mac_state.desired_parameters, "max_duty_cycle", 4)),
        [DutyCycleReq(4)],
    ),
    (
        "new channel",
        _set(lambda d: d.mac_state.current_parameters.channels.pop()),
        [NewChannelReq(7, 867_900_000, 0, 5)],
    ),
    (
        "downlink channel",
        _set(lambda d: setattr(d.mac_state.desired_parameters.channels[1], "downlink_frequency", 869_100_000)),
        [DlChannelReq(1, 869_100_000)],
    ),
    (
        "adr",
        _set(lambda d: setattr(d.mac_state.desired_parameters, "adr_data_rate_index", 5)),
        [LinkADRReq(data_rate=5, tx_power=0, ch_mask=0xFF, ch_mask_cntl=0, nb_trans=1)],
    ),
    ("status by count", _set(lambda d: setattr(d.mac_state, "last_dev_status_f_cnt_up", 0)), [DevStatusReq()]),
]


@pytest.mark.parametrize(("name", "device", "expected"), CASES, ids=[c[0] for c in CASES])
def test_plan_requests(name: str, device: end_device_pb2.EndDevice, expected: list[MACCommand]) -> None:
    assert plan_requests(device, BAND, 200, NOW, status_count=200) == expected


def test_fresh_device_learns_the_plan_channels() -> None:
    device = end_device_pb2.EndDevice(
        frequency_plan_id="EU_863_870",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
    )
    device.mac_state.CopyFrom(initial_mac_state(device))
    requests = plan_requests(device, BAND, 0, NOW)
    assert [r.frequency for r in requests if isinstance(r, NewChannelReq)] == [  # type: ignore[attr-defined]
        867_100_000,
        867_300_000,
        867_500_000,
        867_700_000,
        867_900_000,
    ]


def test_adr_raises_the_data_rate_of_a_strong_link() -> None:
    device = _device()
    state = device.mac_state
    for f_cnt in range(1, 21):
        up = state.recent_uplinks.add()
        up.payload.mac_payload.full_f_cnt = f_cnt
        up.settings.data_rate.lora.spreading_factor = 12
        up.settings.data_rate.lora.bandwidth = 125_000
        up.rx_metadata.add(snr=10.0)
    apply_adr(device, BAND)
    assert state.desired_parameters.adr_data_rate_index == 5
    (request,) = [r for r in plan_requests(device, BAND, 20, NOW) if isinstance(r, LinkADRReq)]
    assert request.data_rate == 5


def test_adr_disabled_leaves_desired_alone() -> None:
    device = _device()
    device.mac_settings.adr.disabled.SetInParent()
    up = device.mac_state.recent_uplinks.add()
    up.settings.data_rate.lora.spreading_factor = 12
    up.settings.data_rate.lora.bandwidth = 125_000
    up.rx_metadata.add(snr=10.0)
    apply_adr(device, BAND)
    assert device.mac_state.desired_parameters.adr_data_rate_index == 0


@pytest.mark.parametrize(
    ("enabled", "blocks"),
    [
        ([True, True, True, False], [(0, 0b0111)]),
        # US915 FSB2: narrow channels 8..15 and wide channel 65.
        ([8 <= i <= 15 or i == 65 for i in range(72)], [(7, 0b10), (0, 0xFF00)]),
        # Everything but channels 0..15 and the wide ones: all on, then block 0 off.
        ([i >= 16 and i < 64 for i in range(72)], [(6, 0), (0, 0)]),
    ],
)
def test_mask_blocks(enabled: list[bool], blocks: list[tuple[int, int]]) -> None:
    assert mask_blocks(enabled) == blocks


def test_us915_fsb2_device_is_told_its_sub_band() -> None:
    device = end_device_pb2.EndDevice(
        frequency_plan_id="US_902_928_FSB_2",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
    )
    device.mac_state.CopyFrom(initial_mac_state(device))
    band = get_band("US_902_928")
    adr = [r for r in plan_requests(device, band, 0, NOW) if isinstance(r, LinkADRReq)]
    assert [(r.ch_mask_cntl, r.ch_mask) for r in adr] == [(7, 0b10), (0, 0xFF00)]


def test_abp_device_with_factory_preset_channels_needs_no_new_channels() -> None:
    plan_frequencies = [868_100_000, 868_300_000, 868_500_000, *range(867_100_000, 867_900_001, 200_000)]
    device = end_device_pb2.EndDevice(
        frequency_plan_id="EU_863_870",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
        mac_settings=end_device_pb2.MACSettings(factory_preset_frequencies=plan_frequencies),
    )
    device.mac_state.CopyFrom(initial_mac_state(device))
    device.mac_state.last_dev_status_f_cnt_up = 10
    channels = device.mac_state.current_parameters.channels
    assert [c.uplink_frequency for c in channels] == plan_frequencies
    assert all((c.min_data_rate_index, c.max_data_rate_index) == (0, 5) for c in channels)
    assert plan_requests(device, BAND, 11, NOW) == []


def test_factory_presets_do_not_apply_to_otaa_sessions() -> None:
    device = end_device_pb2.EndDevice(
        frequency_plan_id="EU_863_870",
        supports_join=True,
        mac_settings=end_device_pb2.MACSettings(factory_preset_frequencies=[868_100_000]),
    )
    channels = initial_mac_state(device).current_parameters.channels
    assert [c.uplink_frequency for c in channels] == [868_100_000, 868_300_000, 868_500_000]
