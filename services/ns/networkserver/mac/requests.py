"""What the NS asks of a device before a downlink: every request whose desired parameters differ
from the current ones, DevStatusReq periodically, and LinkADRReq from ADR (lorastack.lorawan.adr).
LoRaWAN 1.1 sections 5.3 to 5.10 and 5.13."""

from __future__ import annotations

from collections.abc import Sequence
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

__all__ = ["adr_uplinks", "apply_adr", "mask_blocks", "plan_requests"]

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


def _enabled(params: Params) -> list[bool]:
    return [channel.enable_uplink and bool(channel.uplink_frequency) for channel in params.channels]


def _bits(flags: Sequence[bool]) -> int:
    return sum(1 << i for i, on in enumerate(flags) if on)


def mask_blocks(enabled: Sequence[bool]) -> list[tuple[int, int]]:
    """(ChMaskCntl, ChMask) pairs that switch exactly the ``enabled`` channels (RP002 sections 2.1.5,
    2.5.5 and 2.6.5): one block for 16-channel bands; for 72-channel bands all narrow channels on or
    off at once (ChMaskCntl 6 or 7, with the wide channels) then the 16-channel blocks that differ."""
    count = len(enabled)
    if count <= 16:
        return [(0, _bits(enabled))]
    if count == 72:
        narrow, wide = enabled[:64], enabled[64:]
        base = sum(narrow) > 32
        blocks = [(6 if base else 7, _bits(wide))]
        for block in range(4):
            part = narrow[16 * block : 16 * block + 16]
            if any(on != base for on in part):
                blocks.append((block, _bits(part)))
        return blocks
    if count == 96:
        return [(block, _bits(enabled[16 * block : 16 * block + 16])) for block in range(6)]
    return []


def _link_adr(current: Params, desired: Params) -> list[MACCommand]:
    same_adr = (
        current.adr_data_rate_index == desired.adr_data_rate_index
        and current.adr_tx_power_index == desired.adr_tx_power_index
        and (current.adr_nb_trans or 1) == (desired.adr_nb_trans or 1)
    )
    # Small bands change channels with NewChannelReq; large ones only through LinkADRReq masks.
    same_mask = len(desired.channels) <= 16 or _enabled(current) == _enabled(desired)
    if same_adr and same_mask:
        return []
    return [
        LinkADRReq(
            data_rate=desired.adr_data_rate_index,
            tx_power=desired.adr_tx_power_index,
            ch_mask=mask,
            ch_mask_cntl=cntl,
            nb_trans=desired.adr_nb_trans or 1,
        )
        for cntl, mask in mask_blocks(_enabled(desired))
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
