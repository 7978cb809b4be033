"""MAC command handlers: (device before, command, device after, responses, events) tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from lorastack.lorawan import (
    ADRParamSetupAns,
    ADRParamSetupReq,
    DeviceModeConf,
    DeviceModeInd,
    DeviceTimeAns,
    DeviceTimeReq,
    DevStatusAns,
    DevStatusReq,
    DlChannelAns,
    DlChannelReq,
    DutyCycleAns,
    DutyCycleReq,
    LinkADRAns,
    LinkADRReq,
    LinkCheckAns,
    LinkCheckReq,
    MACCommand,
    NewChannelAns,
    NewChannelReq,
    RekeyConf,
    RekeyInd,
    ResetConf,
    ResetInd,
    RXParamSetupAns,
    RXParamSetupReq,
    RXTimingSetupAns,
    RXTimingSetupReq,
    TxParamSetupAns,
    TxParamSetupReq,
    get_band,
)
from networkserver.mac import UplinkInfo, encode_stored, handle_uplink_commands
from networkserver.mac.answers import gps_time
from networkserver.mac.common import command_name
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

BAND = get_band("EU_863_870")
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
Device = end_device_pb2.EndDevice


def _device(*pending: MACCommand) -> Device:
    device = Device(supports_class_c=True)
    current = device.mac_state.current_parameters
    current.rx2_frequency = 869_525_000
    current.rx1_delay = 1  # type: ignore[assignment]
    for freq in (868_100_000, 868_300_000, 868_500_000):
        current.channels.add(uplink_frequency=freq, downlink_frequency=freq, max_data_rate_index=5, enable_uplink=True)
    device.mac_state.pending_requests.extend(encode_stored(p) for p in pending)
    return device


def _up(snr: float | None = 5.0, gateways: int = 2, dr: int = 5) -> UplinkInfo:
    return UplinkInfo(BAND, dr, snr, gateways, NOW, f_cnt=42)


Check = Callable[[Device], bool]
CASES: list[tuple[str, Device, MACCommand, Check, list[MACCommand]]] = [
    # DR5 is SF7/125 kHz: floor -7.5 dB, SNR 5 -> margin 12.
    ("link_check", _device(), LinkCheckReq(), lambda d: True, [LinkCheckAns(margin=12, gw_cnt=2)]),
    (
        "link_adr accepted",
        _device(LinkADRReq(data_rate=5, tx_power=2, ch_mask=0b011, ch_mask_cntl=0, nb_trans=2)),
        LinkADRAns(True, True, True),
        lambda d: (
            d.mac_state.current_parameters.adr_data_rate_index == 5
            and d.mac_state.current_parameters.adr_tx_power_index == 2
            and d.mac_state.current_parameters.adr_nb_trans == 2
            and [c.enable_uplink for c in d.mac_state.current_parameters.channels] == [True, True, False]
            and d.mac_state.last_adr_change_f_cnt_up == 42
        ),
        [],
    ),
    (
        "link_adr data rate refused",
        _device(LinkADRReq(data_rate=5, tx_power=2, ch_mask=0b111)),
        LinkADRAns(True, False, True),
        lambda d: (
            d.mac_state.current_parameters.adr_data_rate_index == 0
            and list(d.mac_state.rejected_adr_data_rate_indexes) == [5]
        ),
        [],
    ),
    (
        "link_adr without request",
        _device(),
        LinkADRAns(True, True, True),
        lambda d: d.mac_state.current_parameters.adr_data_rate_index == 0,
        [],
    ),
    (
        "duty_cycle",
        _device(DutyCycleReq(max_duty_cycle=7)),
        DutyCycleAns(),
        lambda d: d.mac_state.current_parameters.max_duty_cycle == 7,
        [],
    ),
    (
        "rx_param_setup accepted",
        _device(RXParamSetupReq(rx1_dr_offset=2, rx2_data_rate=3, frequency=869_525_000)),
        RXParamSetupAns(True, True, True),
        lambda d: (
            d.mac_state.current_parameters.rx1_data_rate_offset == 2
            and d.mac_state.current_parameters.rx2_data_rate_index == 3
        ),
        [],
    ),
    (
        "rx_param_setup partly refused",
        _device(RXParamSetupReq(rx1_dr_offset=2, rx2_data_rate=3, frequency=869_525_000)),
        RXParamSetupAns(True, False, True),
        lambda d: d.mac_state.current_parameters.rx2_data_rate_index == 0,
        [],
    ),
    (
        "dev_status battery",
        _device(DevStatusReq()),
        DevStatusAns(battery=128, margin=-5),
        lambda d: (
            d.power_state == end_device_pb2.POWER_BATTERY
            and abs(d.battery_percentage.value - 127 / 253) < 1e-6
            and d.downlink_margin == -5
            and d.mac_state.last_dev_status_f_cnt_up == 42
        ),
        [],
    ),
    (
        "dev_status external power",
        _device(DevStatusReq()),
        DevStatusAns(battery=0, margin=3),
        lambda d: d.power_state == end_device_pb2.POWER_EXTERNAL and not d.HasField("battery_percentage"),
        [],
    ),
    (
        "new_channel accepted",
        _device(NewChannelReq(3, 867_100_000, 0, 5)),
        NewChannelAns(True, True),
        lambda d: d.mac_state.current_parameters.channels[3].uplink_frequency == 867_100_000,
        [],
    ),
    (
        "new_channel refused",
        _device(NewChannelReq(3, 867_100_000, 0, 5)),
        NewChannelAns(True, False),
        lambda d: len(d.mac_state.current_parameters.channels) == 3,
        [],
    ),
    (
        "rx_timing_setup",
        _device(RXTimingSetupReq(5)),
        RXTimingSetupAns(),
        lambda d: d.mac_state.current_parameters.rx1_delay == 5,
        [],
    ),
    (
        "tx_param_setup",
        _device(TxParamSetupReq(True, False, 5)),
        TxParamSetupAns(),
        lambda d: (
            d.mac_state.current_parameters.downlink_dwell_time.value
            and not d.mac_state.current_parameters.uplink_dwell_time.value
            and d.mac_state.current_parameters.max_eirp == 16
        ),
        [],
    ),
    (
        "dl_channel accepted",
        _device(DlChannelReq(1, 869_000_000)),
        DlChannelAns(True, True),
        lambda d: d.mac_state.current_parameters.channels[1].downlink_frequency == 869_000_000,
        [],
    ),
    (
        "dl_channel refused",
        _device(DlChannelReq(1, 869_000_000)),
        DlChannelAns(True, False),
        lambda d: d.mac_state.current_parameters.channels[1].downlink_frequency == 868_300_000,
        [],
    ),
    (
        "adr_param_setup",
        _device(ADRParamSetupReq(limit_exp=6, delay_exp=5)),
        ADRParamSetupAns(),
        lambda d: (
            d.mac_state.current_parameters.adr_ack_limit_exponent.value == 6
            and d.mac_state.current_parameters.adr_ack_delay_exponent.value == 5
        ),
        [],
    ),
    ("rekey", _device(), RekeyInd(minor=1), lambda d: True, [RekeyConf(minor=1)]),
    ("reset", _device(), ResetInd(minor=1), lambda d: True, [ResetConf(minor=1)]),
    (
        "device_mode",
        _device(),
        DeviceModeInd(device_class=lorawan_pb2.CLASS_C),
        lambda d: d.mac_state.device_class == lorawan_pb2.CLASS_C,
        [DeviceModeConf(device_class=lorawan_pb2.CLASS_C)],
    ),
]


@pytest.mark.parametrize(("name", "device", "command", "check", "responses"), CASES, ids=[c[0] for c in CASES])
def test_handlers(name: str, device: Device, command: MACCommand, check: Check, responses: list[MACCommand]) -> None:
    outcome = handle_uplink_commands(device, [command], _up())
    assert check(device), name
    assert outcome.responses == responses
    assert outcome.events[0][0] == command_name(command)
    assert not device.mac_state.pending_requests


def test_device_time_answers_gps_time() -> None:
    outcome = handle_uplink_commands(_device(), [DeviceTimeReq()], _up())
    (answer,) = outcome.responses
    assert isinstance(answer, DeviceTimeAns)
    # Unix 1795953600 - 315964800 (GPS epoch in Unix time) + 18 leap seconds.
    assert answer.seconds == int(gps_time(NOW)) == 1_479_988_818
    assert outcome.events == [("device_time", "request")]


def test_unanswered_requests_are_forgotten() -> None:
    device = _device(DevStatusReq(), DutyCycleReq(3))
    handle_uplink_commands(device, [DutyCycleAns()], _up())
    assert not device.mac_state.pending_requests
    assert device.mac_state.current_parameters.max_duty_cycle == 3


def test_event_names_follow_tts() -> None:
    assert [command_name(c) for c in (LinkADRReq, RXParamSetupAns, DlChannelReq, ADRParamSetupReq, DevStatusAns)] == [
        "link_adr",
        "rx_param_setup",
        "dl_channel",
        "adr_param_setup",
        "dev_status",
    ]
    assert [command_name(c) for c in (TxParamSetupReq, RXTimingSetupReq, DeviceTimeReq, LinkCheckReq)] == [
        "tx_param_setup",
        "rx_timing_setup",
        "device_time",
        "link_check",
    ]
