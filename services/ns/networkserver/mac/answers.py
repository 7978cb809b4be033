"""Handlers of the MAC commands a device sends: answers to the NS's requests, which apply the
requested change only when every part was acknowledged, and the device's own requests and
indications, which queue a response. LoRaWAN 1.1 sections 5.1 to 5.14, 1.0.4 sections 5.1 to 5.14."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from lorastack.lorawan import (
    DEMODULATION_FLOOR,
    ADRParamSetupAns,
    ADRParamSetupReq,
    DeviceModeConf,
    DeviceModeInd,
    DeviceTimeAns,
    DeviceTimeReq,
    DevStatusAns,
    DlChannelAns,
    DlChannelReq,
    DutyCycleAns,
    DutyCycleReq,
    LinkADRAns,
    LinkADRReq,
    LinkCheckAns,
    LinkCheckReq,
    LoRaModulation,
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
)
from networkserver.mac.common import MACOutcome, UplinkInfo, command_name, take_pending
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

__all__ = ["MAX_EIRP_TABLE", "gps_time", "handle_uplink_commands"]

# RP002-1.0.3 table 2.1.1: TxParamSetupReq MaxEIRP index -> dBm.
MAX_EIRP_TABLE = (8, 10, 12, 13, 14, 16, 18, 20, 21, 24, 26, 27, 29, 30, 33, 36)
_GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)
_LEAP_SECONDS = 18  # GPS - UTC since 2017-01-01

Device = end_device_pb2.EndDevice
Handler = Callable[[Device, MACCommand, UplinkInfo, MACOutcome], None]


def gps_time(moment: datetime) -> float:
    """Seconds since the GPS epoch, the clock DeviceTimeAns speaks."""
    return (moment - _GPS_EPOCH).total_seconds() + _LEAP_SECONDS


def _answer(outcome: MACOutcome, command: MACCommand, kind: str = "answer") -> None:
    outcome.events.append((command_name(command), kind))


def _link_check(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    out.events.append(("link_check", "request"))
    margin = 0
    modulation = up.band.data_rate(up.data_rate_index).modulation
    if up.max_snr is not None and isinstance(modulation, LoRaModulation):
        floor = DEMODULATION_FLOOR.get((modulation.spreading_factor, modulation.bandwidth), 0.0)
        margin = max(0, min(254, int(up.max_snr - floor)))
    out.responses.append(LinkCheckAns(margin=margin, gw_cnt=min(255, up.gateway_count)))


def _device_time(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    out.events.append(("device_time", "request"))
    seconds = gps_time(up.received_at)
    whole = int(seconds)
    out.responses.append(DeviceTimeAns(seconds=whole, fractional=min(255, int((seconds - whole) * 256))))


def _apply_ch_mask(params: end_device_pb2.MACParameters, up: UplinkInfo, req: LinkADRReq) -> None:
    for index, enabled in up.band.parse_ch_mask(req.ch_mask, req.ch_mask_cntl).items():
        if index < len(params.channels):
            params.channels[index].enable_uplink = enabled


def _link_adr(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, LinkADRAns)
    _answer(out, cmd)
    req = take_pending(device.mac_state, LinkADRReq.CID)
    if not isinstance(req, LinkADRReq):
        return
    state = device.mac_state
    if cmd.channel_mask_ack and cmd.data_rate_ack and cmd.power_ack:
        current = state.current_parameters
        current.adr_data_rate_index = req.data_rate  # type: ignore[assignment]
        current.adr_tx_power_index = req.tx_power
        current.adr_nb_trans = req.nb_trans or 1
        _apply_ch_mask(current, up, req)
        state.last_adr_change_f_cnt_up = up.f_cnt
        return
    # Remember refusals so ADR stops proposing them (kept sorted, as the proto asks).
    if not cmd.data_rate_ack and req.data_rate not in state.rejected_adr_data_rate_indexes:
        state.rejected_adr_data_rate_indexes.append(req.data_rate)  # type: ignore[arg-type]
        state.rejected_adr_data_rate_indexes.sort()
    if not cmd.power_ack and req.tx_power not in state.rejected_adr_tx_power_indexes:
        state.rejected_adr_tx_power_indexes.append(req.tx_power)
        state.rejected_adr_tx_power_indexes.sort()


def _duty_cycle(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    _answer(out, cmd)
    req = take_pending(device.mac_state, DutyCycleReq.CID)
    if isinstance(req, DutyCycleReq):
        device.mac_state.current_parameters.max_duty_cycle = req.max_duty_cycle  # type: ignore[assignment]


def _rx_param_setup(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, RXParamSetupAns)
    _answer(out, cmd)
    req = take_pending(device.mac_state, RXParamSetupReq.CID)
    if isinstance(req, RXParamSetupReq) and cmd.channel_ack and cmd.rx2_data_rate_ack and cmd.rx1_dr_offset_ack:
        current = device.mac_state.current_parameters
        current.rx1_data_rate_offset = req.rx1_dr_offset  # type: ignore[assignment]
        current.rx2_data_rate_index = req.rx2_data_rate  # type: ignore[assignment]
        current.rx2_frequency = req.frequency


def _dev_status(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, DevStatusAns)
    _answer(out, cmd)
    if take_pending(device.mac_state, 0x06) is None:
        return
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(up.received_at)
    device.last_dev_status_received_at.CopyFrom(stamp)
    device.mac_state.last_dev_status_f_cnt_up = up.f_cnt
    device.downlink_margin = cmd.margin
    if cmd.battery == 0:
        device.power_state = end_device_pb2.POWER_EXTERNAL
        device.ClearField("battery_percentage")
    elif cmd.battery == 255:
        device.power_state = end_device_pb2.POWER_UNKNOWN
        device.ClearField("battery_percentage")
    else:
        device.power_state = end_device_pb2.POWER_BATTERY
        device.battery_percentage.value = (cmd.battery - 1) / 253


def _new_channel(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, NewChannelAns)
    _answer(out, cmd)
    req = take_pending(device.mac_state, NewChannelReq.CID)
    if not isinstance(req, NewChannelReq) or not (cmd.channel_frequency_ok and cmd.data_rate_range_ok):
        return
    channels = device.mac_state.current_parameters.channels
    while len(channels) <= req.ch_index:
        channels.add()
    channel = channels[req.ch_index]
    channel.uplink_frequency = req.frequency
    channel.downlink_frequency = channel.downlink_frequency or req.frequency
    channel.min_data_rate_index = req.min_data_rate  # type: ignore[assignment]
    channel.max_data_rate_index = req.max_data_rate  # type: ignore[assignment]
    channel.enable_uplink = req.frequency != 0


def _rx_timing_setup(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    _answer(out, cmd)
    req = take_pending(device.mac_state, RXTimingSetupReq.CID)
    if isinstance(req, RXTimingSetupReq):
        device.mac_state.current_parameters.rx1_delay = max(1, req.delay)  # type: ignore[assignment]


def _tx_param_setup(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    _answer(out, cmd)
    req = take_pending(device.mac_state, TxParamSetupReq.CID)
    if isinstance(req, TxParamSetupReq):
        current = device.mac_state.current_parameters
        current.uplink_dwell_time.value = req.uplink_dwell_time
        current.downlink_dwell_time.value = req.downlink_dwell_time
        current.max_eirp = MAX_EIRP_TABLE[req.max_eirp]


def _dl_channel(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, DlChannelAns)
    _answer(out, cmd)
    req = take_pending(device.mac_state, DlChannelReq.CID)
    channels = device.mac_state.current_parameters.channels
    acked = cmd.channel_frequency_ok and cmd.uplink_frequency_exists
    if isinstance(req, DlChannelReq) and acked and req.ch_index < len(channels):
        channels[req.ch_index].downlink_frequency = req.frequency


def _adr_param_setup(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    _answer(out, cmd)
    req = take_pending(device.mac_state, ADRParamSetupReq.CID)
    if isinstance(req, ADRParamSetupReq):
        current = device.mac_state.current_parameters
        current.adr_ack_limit_exponent.value = req.limit_exp  # type: ignore[assignment]
        current.adr_ack_delay_exponent.value = req.delay_exp  # type: ignore[assignment]


def _rekey(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, RekeyInd)
    out.events.append(("rekey", "indication"))
    out.rekeyed = True
    out.responses.append(RekeyConf(minor=min(cmd.minor, 1)))


def _reset(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, ResetInd)
    out.events.append(("reset", "indication"))
    out.reset = True
    out.responses.append(ResetConf(minor=min(cmd.minor, 1)))


def _device_mode(device: Device, cmd: MACCommand, up: UplinkInfo, out: MACOutcome) -> None:
    assert isinstance(cmd, DeviceModeInd)
    out.events.append(("device_mode", "indication"))
    wanted = cmd.device_class
    if wanted == lorawan_pb2.CLASS_C and not device.supports_class_c:
        wanted = lorawan_pb2.CLASS_A
    device.mac_state.device_class = wanted  # type: ignore[assignment]
    out.responses.append(DeviceModeConf(device_class=wanted))


_HANDLERS: dict[type[MACCommand], Handler] = {
    LinkCheckReq: _link_check,
    LinkADRAns: _link_adr,
    DutyCycleAns: _duty_cycle,
    RXParamSetupAns: _rx_param_setup,
    DevStatusAns: _dev_status,
    NewChannelAns: _new_channel,
    RXTimingSetupAns: _rx_timing_setup,
    TxParamSetupAns: _tx_param_setup,
    DlChannelAns: _dl_channel,
    ADRParamSetupAns: _adr_param_setup,
    DeviceTimeReq: _device_time,
    RekeyInd: _rekey,
    ResetInd: _reset,
    DeviceModeInd: _device_mode,
}


def handle_uplink_commands(device: Device, commands: Sequence[MACCommand], up: UplinkInfo) -> MACOutcome:
    """Apply the commands of one uplink to ``device.mac_state``; unanswered requests are dropped
    afterwards, since the device ignored them (the NS asks again when still needed)."""
    outcome = MACOutcome()
    for command in commands:
        handler = _HANDLERS.get(type(command))
        if handler is None:
            outcome.events.append((command_name(command), "unhandled"))
            continue
        handler(device, command, up, outcome)
    del device.mac_state.pending_requests[:]
    return outcome
