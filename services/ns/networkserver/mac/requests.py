"""What the NS asks of a device before a downlink: every request whose desired parameters differ
from the current ones, DevStatusReq periodically, and LinkADRReq from ADR (lorastack.lorawan.adr).
LoRaWAN 1.1 sections 5.3 to 5.10 and 5.13."""

from __future__ import annotations

from datetime import datetime

from lorastack.lorawan import (
    ADRParameters,
    ADRParamSetupReq,
    ADRUplink,
    Band,
    DevStatusReq,
    DlChannelReq,
    DutyCycleReq,
    LinkADRReq,
    LoRaModulation,
    MACCommand,
    NewChannelReq,
    RXParamSetupReq,
    RXTimingSetupReq,
    TxParamSetupReq,
    adapt_data_rate,
)
from networkserver.mac.answers import MAX_EIRP_TABLE
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

__all__ = ["adr_uplinks", "apply_adr", "plan_requests"]

Params = end_device_pb2.MACParameters


def adr_uplinks(state: end_device_pb2.MACState, band: Band) -> list[ADRUplink]:
    """The recent uplinks as the ADR algorithm reads them."""
    out: list[ADRUplink] = []
    for up in state.recent_uplinks:
        lora = up.settings.data_rate.lora
        try:
            index = band.find_data_rate(LoRaModulation(lora.spreading_factor, lora.bandwidth)).index
        except Exception:
            continue
        snrs = [md.snr for md in up.rx_metadata]
        out.append(
            ADRUplink(up.payload.mac_payload.full_f_cnt, index, max(snrs) if snrs else None, len(up.rx_metadata))
        )
    return out


def apply_adr(device: end_device_pb2.EndDevice, band: Band) -> None:
    """Set the desired data rate, TX power and NbTrans from the recent uplinks (dynamic ADR)."""
    settings = device.mac_settings
    if settings.adr.WhichOneof("mode") in ("disabled", "static"):
        return
    state = device.mac_state
    current = state.current_parameters
    dynamic = settings.adr.dynamic
    wanted = adapt_data_rate(
        band,
        adr_uplinks(state, band),
        ADRParameters(current.adr_data_rate_index, current.adr_tx_power_index, current.adr_nb_trans or 1),
        margin=dynamic.margin.value if dynamic.HasField("margin") else 15.0,
        rejected_data_rate_indexes=state.rejected_adr_data_rate_indexes,
        rejected_tx_power_indexes=state.rejected_adr_tx_power_indexes,
    )
    desired = state.desired_parameters
    desired.adr_data_rate_index = wanted.data_rate_index  # type: ignore[assignment]
    desired.adr_tx_power_index = wanted.tx_power_index
    desired.adr_nb_trans = wanted.nb_trans


def _ch_mask(params: Params) -> int:
    mask = 0
    for index, channel in enumerate(params.channels[:16]):
        if channel.enable_uplink and channel.uplink_frequency:
            mask |= 1 << index
    return mask


def _link_adr(current: Params, desired: Params) -> list[MACCommand]:
    same = (
        current.adr_data_rate_index == desired.adr_data_rate_index
        and current.adr_tx_power_index == desired.adr_tx_power_index
        and (current.adr_nb_trans or 1) == (desired.adr_nb_trans or 1)
    )
    if same or len(desired.channels) > 16:
        return []
    return [
        LinkADRReq(
            data_rate=desired.adr_data_rate_index,
            tx_power=desired.adr_tx_power_index,
            ch_mask=_ch_mask(desired),
            ch_mask_cntl=0,
            nb_trans=desired.adr_nb_trans or 1,
        )
    ]


def _channels(current: Params, desired: Params) -> list[MACCommand]:
    out: list[MACCommand] = []
    for index, want in enumerate(desired.channels[:16]):
        have = current.channels[index] if index < len(current.channels) else None
        if have is None or (have.uplink_frequency, have.min_data_rate_index, have.max_data_rate_index) != (
            want.uplink_frequency,
            want.min_data_rate_index,
            want.max_data_rate_index,
        ):
            out.append(NewChannelReq(index, want.uplink_frequency, want.min_data_rate_index, want.max_data_rate_index))
            continue
        if want.downlink_frequency and have.downlink_frequency != want.downlink_frequency:
            out.append(DlChannelReq(index, want.downlink_frequency))
    return out


def _eirp_index(dbm: float) -> int:
    best = 0
    for index, value in enumerate(MAX_EIRP_TABLE):
        if value <= dbm:
            best = index
    return best


def _settings(current: Params, desired: Params, version: int, band: Band) -> list[MACCommand]:
    out: list[MACCommand] = []
    rx = (desired.rx1_data_rate_offset, desired.rx2_data_rate_index, desired.rx2_frequency)
    if rx != (current.rx1_data_rate_offset, current.rx2_data_rate_index, current.rx2_frequency) and rx[2]:
        out.append(RXParamSetupReq(*rx))
    if desired.rx1_delay and desired.rx1_delay != current.rx1_delay:
        out.append(RXTimingSetupReq(desired.rx1_delay))
    if desired.max_duty_cycle != current.max_duty_cycle:
        out.append(DutyCycleReq(desired.max_duty_cycle))
    dwell_wanted = desired.HasField("uplink_dwell_time") or desired.HasField("downlink_dwell_time")
    if band.tx_param_setup_req_support and dwell_wanted:
        wanted = (desired.uplink_dwell_time.value, desired.downlink_dwell_time.value, _eirp_index(desired.max_eirp))
        have = (current.uplink_dwell_time.value, current.downlink_dwell_time.value, _eirp_index(current.max_eirp))
        if wanted != have:
            out.append(TxParamSetupReq(wanted[1], wanted[0], wanted[2]))
    if version == lorawan_pb2.MAC_V1_1 and (
        desired.HasField("adr_ack_limit_exponent") or desired.HasField("adr_ack_delay_exponent")
    ):
        wanted_exp = (desired.adr_ack_limit_exponent.value, desired.adr_ack_delay_exponent.value)
        if wanted_exp != (current.adr_ack_limit_exponent.value, current.adr_ack_delay_exponent.value):
            out.append(ADRParamSetupReq(*wanted_exp))
    return out


def plan_requests(
    device: end_device_pb2.EndDevice, band: Band, f_cnt_up: int, now: datetime, *, status_count: int = 200
) -> list[MACCommand]:
    """Every request the device should get now, in the order they should be sent."""
    state = device.mac_state
    current, desired = state.current_parameters, state.desired_parameters
    out: list[MACCommand] = []
    out += _settings(current, desired, state.lorawan_version or device.lorawan_version, band)
    out += _channels(current, desired)
    out += _link_adr(current, desired)
    settings = device.mac_settings
    every = settings.status_count_periodicity.value if settings.HasField("status_count_periodicity") else status_count
    due_by_count = every > 0 and f_cnt_up - state.last_dev_status_f_cnt_up >= every
    due_by_time = False
    if settings.HasField("status_time_periodicity") and settings.status_time_periodicity.ToTimedelta():
        last = device.last_dev_status_received_at
        due_by_time = (not device.HasField("last_dev_status_received_at")) or (
            now - last.ToDatetime(now.tzinfo) >= settings.status_time_periodicity.ToTimedelta()
        )
    if due_by_count or due_by_time:
        out.append(DevStatusReq())
    return out
