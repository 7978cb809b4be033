"""The device's MAC command handling as a table: (command, answer, state after), EU863-870 and US902-928."""

from __future__ import annotations

from typing import Any

import pytest

from lorastack.lorawan import maccommands as mc
from lorastack.lorawan.band import get_band
from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.device.mac import handle_commands
from lorastack.sim.device.macstate import MACState, initial_mac_state


def eu() -> MACState:
    return initial_mac_state(get_band("EU_863_870"), get_plan("EU_863_870"), preset_plan_channels=True, data_rate=None)


CASES: list[tuple[str, mc.MACCommand, list[mc.MACCommand], dict[str, Any]]] = [
    (
        "rx param setup applied",
        mc.RXParamSetupReq(rx1_dr_offset=2, rx2_data_rate=3, frequency=869_525_000),
        [mc.RXParamSetupAns(channel_ack=True, rx2_data_rate_ack=True, rx1_dr_offset_ack=True)],
        {"rx1_dr_offset": 2, "rx2_data_rate": 3, "rx2_frequency": 869_525_000},
    ),
    (
        "rx param setup with an unknown data rate changes nothing",
        mc.RXParamSetupReq(rx1_dr_offset=2, rx2_data_rate=14, frequency=869_525_000),
        [mc.RXParamSetupAns(channel_ack=True, rx2_data_rate_ack=False, rx1_dr_offset_ack=True)],
        {"rx1_dr_offset": 0, "rx2_data_rate": 0},
    ),
    ("duty cycle", mc.DutyCycleReq(max_duty_cycle=7), [mc.DutyCycleAns()], {"max_duty_cycle": 7}),
    (
        "adr params",
        mc.ADRParamSetupReq(limit_exp=6, delay_exp=5),
        [mc.ADRParamSetupAns()],
        {"adr_ack_limit_exp": 6, "adr_ack_delay_exp": 5},
    ),
    ("tx params are not for EU devices", mc.TxParamSetupReq(max_eirp=5), [], {"max_eirp": None}),
    ("link check", mc.LinkCheckAns(margin=20, gw_cnt=3), [], {"last_margin": 20, "last_gateway_count": 3}),
    ("device time", mc.DeviceTimeAns(seconds=1_400_000_000, fractional=128), [], {"last_device_time": 1.4e9 + 0.5}),
    ("rx timing 0 means 1 s", mc.RXTimingSetupReq(delay=0), [mc.RXTimingSetupAns()], {"rx1_delay": 1}),
]


@pytest.mark.parametrize(("name", "command", "answers", "after"), CASES, ids=[c[0] for c in CASES])
def test_mac_command(name: str, command: mc.MACCommand, answers: list[mc.MACCommand], after: dict[str, Any]) -> None:
    state = eu()
    result = handle_commands(state, [command], snr=3.0, battery=100)
    assert result.answers == answers
    for attribute, value in after.items():
        assert getattr(state, attribute) == value, attribute


def test_new_channel_adds_moves_and_removes_but_not_the_default_ones() -> None:
    state = initial_mac_state(get_band("EU_863_870"), None, preset_plan_channels=False, data_rate=5)
    result = handle_commands(
        state,
        [
            mc.NewChannelReq(ch_index=3, frequency=867_100_000, min_data_rate=0, max_data_rate=5),
            mc.NewChannelReq(ch_index=1, frequency=867_300_000, min_data_rate=0, max_data_rate=5),
            mc.NewChannelReq(ch_index=4, frequency=867_500_000, min_data_rate=5, max_data_rate=2),
            mc.DlChannelReq(ch_index=3, frequency=868_100_000),
            mc.DlChannelReq(ch_index=9, frequency=868_100_000),
        ],
        snr=0.0,
        battery=0,
    )
    assert result.answers == [
        mc.NewChannelAns(channel_frequency_ok=True, data_rate_range_ok=True),
        mc.NewChannelAns(channel_frequency_ok=False, data_rate_range_ok=False),
        mc.NewChannelAns(channel_frequency_ok=True, data_rate_range_ok=False),
        mc.DlChannelAns(channel_frequency_ok=True, uplink_frequency_exists=True),
        mc.DlChannelAns(channel_frequency_ok=True, uplink_frequency_exists=False),
    ]
    assert state.channels[3].frequency == 867_100_000 and 4 not in state.channels
    assert state.rx1(867_100_000, 3, 5) == (868_100_000, 5)
    handle_commands(state, [mc.NewChannelReq(ch_index=3, frequency=0)], snr=0.0, battery=0)
    assert 3 not in state.channels


def test_link_adr_block_in_us915_switches_to_one_sub_band() -> None:
    state = initial_mac_state(get_band("US_902_928"), None, preset_plan_channels=False, data_rate=None)
    block: list[mc.MACCommand] = [
        mc.LinkADRReq(data_rate=15, tx_power=15, ch_mask=0x0000, ch_mask_cntl=7, nb_trans=0),
        mc.LinkADRReq(data_rate=2, tx_power=4, ch_mask=0xFF00, ch_mask_cntl=0, nb_trans=2),
    ]
    result = handle_commands(state, block, snr=0.0, battery=0)
    assert result.answers == [mc.LinkADRAns(channel_mask_ack=True, data_rate_ack=True, power_ack=True)] * 2
    assert [index for index, _ in state.enabled_channels()] == list(range(8, 16))
    assert (state.data_rate, state.tx_power, state.nb_trans) == (2, 4, 2)


def test_confirmations_are_returned_for_the_device_to_stop_indicating() -> None:
    result = handle_commands(eu(), [mc.RekeyConf(minor=1), mc.DeviceModeConf(device_class=2)], snr=0.0, battery=0)
    assert result.confirmations == [mc.RekeyConf(minor=1), mc.DeviceModeConf(device_class=2)]
    assert result.answers == []
