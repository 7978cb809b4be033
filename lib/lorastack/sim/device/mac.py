"""How a simulated end device answers the MAC commands of a downlink (LoRaWAN 1.1 chapter 5, 1.0.4 chapter 5).

Pure: takes the device's MACState and the parsed commands, changes the state, returns the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lorastack.lorawan import maccommands as mc
from lorastack.lorawan.band import BandError, CFListType
from lorastack.sim.device.macstate import DeviceChannel, MACState

__all__ = ["MACResult", "handle_commands"]

# Answers repeated in every uplink until the device receives a downlink (LoRaWAN 1.0.4 sections 5.4, 5.7, 5.8):
# the server cannot otherwise tell whether the device applied the change.
STICKY = (mc.RXParamSetupAns, mc.RXTimingSetupAns, mc.DlChannelAns)

_KEEP = 15


@dataclass(slots=True)
class MACResult:
    answers: list[mc.MACCommand] = field(default_factory=list)
    confirmations: list[mc.MACCommand] = field(default_factory=list)
    ignored: list[mc.MACCommand] = field(default_factory=list)


def handle_commands(state: MACState, commands: Sequence[mc.MACCommand], *, snr: float, battery: int) -> MACResult:
    result = MACResult()
    index = 0
    while index < len(commands):
        command = commands[index]
        if isinstance(command, mc.LinkADRReq):
            block = [command]
            while index + 1 < len(commands) and isinstance(commands[index + 1], mc.LinkADRReq):
                index += 1
                block.append(commands[index])  # type: ignore[arg-type]
            result.answers.extend(_link_adr(state, block))
        else:
            _single(state, command, result, snr=snr, battery=battery)
        index += 1
    return result


def _single(state: MACState, command: mc.MACCommand, result: MACResult, *, snr: float, battery: int) -> None:
    answer: mc.MACCommand | None = None
    match command:
        case mc.DevStatusReq():
            answer = mc.DevStatusAns(battery=battery, margin=max(-32, min(31, round(snr))))
        case mc.RXParamSetupReq():
            answer = _rx_param_setup(state, command)
        case mc.RXTimingSetupReq():
            state.rx1_delay = command.delay or 1
            answer = mc.RXTimingSetupAns()
        case mc.NewChannelReq():
            answer = _new_channel(state, command)
        case mc.DlChannelReq():
            answer = _dl_channel(state, command)
        case mc.DutyCycleReq():
            state.max_duty_cycle = command.max_duty_cycle
            answer = mc.DutyCycleAns()
        case mc.TxParamSetupReq() if state.band.tx_param_setup_req_support:
            state.max_eirp = command.max_eirp
            state.uplink_dwell_time = command.uplink_dwell_time
            state.downlink_dwell_time = command.downlink_dwell_time
            answer = mc.TxParamSetupAns()
        case mc.ADRParamSetupReq():
            state.adr_ack_limit_exp = command.limit_exp
            state.adr_ack_delay_exp = command.delay_exp
            answer = mc.ADRParamSetupAns()
        case mc.RejoinParamSetupReq():
            answer = mc.RejoinParamSetupAns(time_ok=True)
        case mc.LinkCheckAns():
            state.last_margin = command.margin
            state.last_gateway_count = command.gw_cnt
        case mc.DeviceTimeAns():
            state.last_device_time = command.gps_time
        case mc.RekeyConf() | mc.ResetConf() | mc.DeviceModeConf():
            result.confirmations.append(command)
        case _:
            result.ignored.append(command)
            return
    state.history.append(type(command).__name__)
    if answer is not None:
        result.answers.append(answer)


def _link_adr(state: MACState, block: list[mc.LinkADRReq]) -> list[mc.MACCommand]:
    """Apply a contiguous block of LinkADRReq atomically: all of it or nothing (1.0.4 section 5.3)."""
    enabled = {index: ch.enabled for index, ch in state.channels.items()}
    mask_ok = True
    for request in block:
        try:
            switches = state.band.parse_ch_mask(request.ch_mask, request.ch_mask_cntl)
        except (BandError, ValueError):
            mask_ok = False
            continue
        for index, on in switches.items():
            if index in enabled:
                enabled[index] = on
            elif on:
                mask_ok = False
    last = block[-1]
    data_rate = state.data_rate if last.data_rate == _KEEP else last.data_rate
    usable = [
        ch for index, ch in state.channels.items() if enabled[index] and ch.frequency and ch.min_data_rate <= data_rate
    ]
    mask_ok = mask_ok and any(enabled[index] and ch.frequency for index, ch in state.channels.items())
    rate_ok = data_rate in state.band.data_rates and any(ch.max_data_rate >= data_rate for ch in usable)
    power = state.tx_power if last.tx_power == _KEEP else last.tx_power
    power_ok = 0 <= power <= state.band.max_tx_power_index
    if mask_ok and rate_ok and power_ok:
        for index, on in enabled.items():
            state.channels[index].enabled = on
        state.data_rate = data_rate
        state.tx_power = power
        if last.nb_trans:
            state.nb_trans = last.nb_trans
        state.history.append("LinkADRReq")
    answer = mc.LinkADRAns(channel_mask_ack=mask_ok, data_rate_ack=rate_ok, power_ack=power_ok)
    return [answer] * len(block)


def _frequency_ok(state: MACState, frequency: int) -> bool:
    if frequency <= 0:
        return False
    sub_bands = state.band.sub_bands
    if not sub_bands:
        low = min(ch.frequency for ch in state.band.uplink_channels + state.band.downlink_channels)
        high = max(ch.frequency for ch in state.band.uplink_channels + state.band.downlink_channels)
        return low - 10_000_000 <= frequency <= high + 10_000_000
    return state.band.find_sub_band(frequency) is not None


def _rx_param_setup(state: MACState, command: mc.RXParamSetupReq) -> mc.MACCommand:
    channel_ok = _frequency_ok(state, command.frequency)
    rate_ok = command.rx2_data_rate in state.band.data_rates
    try:
        state.band.rx1_data_rate(state.data_rate, command.rx1_dr_offset)
        offset_ok = True
    except (BandError, ValueError):
        offset_ok = False
    if channel_ok and rate_ok and offset_ok:
        state.rx2_frequency = command.frequency
        state.rx2_data_rate = command.rx2_data_rate
        state.rx1_dr_offset = command.rx1_dr_offset
    return mc.RXParamSetupAns(channel_ack=channel_ok, rx2_data_rate_ack=rate_ok, rx1_dr_offset_ack=offset_ok)


def _new_channel(state: MACState, command: mc.NewChannelReq) -> mc.MACCommand | None:
    band = state.band
    if band.cf_list_type is not CFListType.FREQUENCIES:
        return None  # fixed-channel regions do not implement NewChannelReq: the device ignores it
    defaults = len(band.uplink_channels)
    if command.ch_index < defaults or command.ch_index >= band.max_uplink_channels:
        return mc.NewChannelAns(channel_frequency_ok=False, data_rate_range_ok=False)
    if command.frequency == 0:
        state.channels.pop(command.ch_index, None)
        return mc.NewChannelAns(channel_frequency_ok=True, data_rate_range_ok=True)
    frequency_ok = _frequency_ok(state, command.frequency)
    rates_ok = (
        command.min_data_rate <= command.max_data_rate
        and command.min_data_rate in band.data_rates
        and command.max_data_rate in band.data_rates
    )
    if frequency_ok and rates_ok:
        state.channels[command.ch_index] = DeviceChannel(
            command.frequency, command.min_data_rate, command.max_data_rate
        )
    return mc.NewChannelAns(channel_frequency_ok=frequency_ok, data_rate_range_ok=rates_ok)


def _dl_channel(state: MACState, command: mc.DlChannelReq) -> mc.MACCommand | None:
    if state.band.cf_list_type is not CFListType.FREQUENCIES:
        return None
    channel = state.channels.get(command.ch_index)
    exists = channel is not None and channel.frequency > 0
    frequency_ok = _frequency_ok(state, command.frequency)
    if exists and frequency_ok and channel is not None:
        channel.downlink_frequency = command.frequency
    return mc.DlChannelAns(channel_frequency_ok=frequency_ok, uplink_frequency_exists=exists)
