"""Processing a matched data uplink, as a pure function over the device: counters, FOpts and
FPort 0 MAC commands (decrypted with the network session key in LoRaWAN 1.1, section 4.3.1.6),
MAC command handlers, ADR, the recent-uplink history, and the ApplicationUp for the AS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf import timestamp_pb2

from lorastack.lorawan import (
    AES128Key,
    Band,
    DevAddr,
    MACCommand,
    MACPayload,
    encrypt_fopts,
    encrypt_frm_payload,
    parse_mac_commands_lenient,
)
from networkserver.mac import MACOutcome, UplinkInfo, encode_stored, handle_uplink_commands
from networkserver.mac.requests import apply_adr, plan_requests
from networkserver.macstate import initial_mac_state, is_join_uplink
from networkserver.uplink.match import Match, key_of
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

__all__ = [
    "DEFAULT_CONFIRMED_ATTEMPTS",
    "RECENT_UPLINKS",
    "Processed",
    "UplinkFacts",
    "process_data_uplink",
    "promote_pending",
    "recent_uplink",
]

RECENT_UPLINKS = 20
# Transmissions of a confirmed downlink when the application does not say (ConfirmedRetry.max_attempts).
DEFAULT_CONFIRMED_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class UplinkFacts:
    """The merged uplink (every reception) and what was decoded from it."""

    message: messages_pb2.UplinkMessage
    mac_payload: MACPayload
    confirmed: bool
    band: Band
    data_rate_index: int
    channel_index: int
    received_at: datetime


@dataclass(slots=True)
class Processed:
    device: end_device_pb2.EndDevice
    application_ups: list[messages_pb2.ApplicationUp] = field(default_factory=list)
    mac: MACOutcome = field(default_factory=MACOutcome)
    needs_downlink: bool = False


def promote_pending(device: end_device_pb2.EndDevice) -> None:
    """The device uses the session of its last (re)join-accept: it becomes the current one."""
    device.session.CopyFrom(device.pending_session)
    if device.HasField("pending_mac_state"):
        device.mac_state.CopyFrom(device.pending_mac_state)
        # The (re)join-request was kept for its accept's windows; ADR and the FCnt rules read data uplinks.
        recent = device.mac_state.recent_uplinks
        data = [up for up in recent if not is_join_uplink(up)]
        if len(data) != len(recent):
            del recent[:]
            recent.extend(data)
    device.ClearField("pending_session")
    device.ClearField("pending_mac_state")
    device.ids.dev_addr = device.session.dev_addr
    # The device restarts RJcount0 with every join-accept it takes (LoRaWAN 1.1 section 6.2.4.1).
    device.last_rj_count_0 = 0


def _mac_commands(device: end_device_pb2.EndDevice, payload: MACPayload, f_cnt: int) -> list[MACCommand]:
    session = device.session
    addr = DevAddr(session.dev_addr)
    v11 = (device.mac_state.lorawan_version or device.lorawan_version) == lorawan_pb2.MAC_V1_1
    raw = b""
    if payload.fhdr.f_opts:
        raw = payload.fhdr.f_opts
        enc_key = key_of(session.keys.nwk_s_enc_key)
        if v11 and enc_key is not None:
            raw = encrypt_fopts(enc_key, addr, f_cnt, raw, uplink=True)
    elif payload.f_port == 0 and payload.frm_payload:
        key: AES128Key | None = key_of(session.keys.nwk_s_enc_key if v11 else session.keys.f_nwk_s_int_key)
        if key is None:
            return []
        raw = encrypt_frm_payload(key, addr, f_cnt, payload.frm_payload, uplink=True)
    commands, _rest = parse_mac_commands_lenient(raw, uplink=True)
    return commands


def recent_uplink(
    msg: messages_pb2.UplinkMessage, m_type: lorawan_pb2.MType.ValueType, channel_index: int
) -> end_device_pb2.MACState.UplinkMessage:
    """What the MAC state keeps of an uplink: enough for ADR and for the downlink in its windows."""
    up = end_device_pb2.MACState.UplinkMessage()
    up.payload.m_hdr.m_type = m_type
    up.settings.data_rate.CopyFrom(msg.settings.data_rate)
    for md in msg.rx_metadata:
        up.rx_metadata.add(
            gateway_ids=md.gateway_ids,
            channel_rssi=md.channel_rssi,
            snr=md.snr,
            uplink_token=md.uplink_token,
        )
    up.received_at.CopyFrom(msg.received_at)
    up.correlation_ids.extend(msg.correlation_ids)
    up.device_channel_index = channel_index
    return up


def _recent(facts: UplinkFacts, f_cnt: int) -> end_device_pb2.MACState.UplinkMessage:
    m_type = lorawan_pb2.CONFIRMED_UP if facts.confirmed else lorawan_pb2.UNCONFIRMED_UP
    up = recent_uplink(facts.message, m_type, facts.channel_index)
    up.payload.mac_payload.f_port = facts.mac_payload.f_port or 0
    up.payload.mac_payload.full_f_cnt = f_cnt
    return up


def _application_up(
    device: end_device_pb2.EndDevice, facts: UplinkFacts, f_cnt: int
) -> messages_pb2.ApplicationUp | None:
    payload = facts.mac_payload
    if payload.f_port is None or payload.f_port == 0:
        return None
    msg = facts.message
    uplink = messages_pb2.ApplicationUplink(
        session_key_id=device.session.keys.session_key_id,
        f_port=payload.f_port,
        f_cnt=f_cnt,
        frm_payload=payload.frm_payload,
        rx_metadata=msg.rx_metadata,
        settings=msg.settings,
        received_at=msg.received_at,
        confirmed=facts.confirmed,
        last_a_f_cnt_down=device.session.last_a_f_cnt_down,
    )
    if msg.HasField("consumed_airtime"):
        uplink.consumed_airtime.CopyFrom(msg.consumed_airtime)
    return messages_pb2.ApplicationUp(
        end_device_ids=device.ids,
        correlation_ids=msg.correlation_ids,
        received_at=msg.received_at,
        uplink_message=uplink,
    )


def _acknowledgement(device: end_device_pb2.EndDevice, ack: bool) -> messages_pb2.ApplicationUp | None:
    state = device.mac_state
    if not state.HasField("pending_application_downlink"):
        return None
    pending = messages_pb2.ApplicationDownlink()
    pending.CopyFrom(state.pending_application_downlink)
    state.ClearField("pending_application_downlink")
    if not ack and _retry(device, pending):
        return None
    up = messages_pb2.ApplicationUp(end_device_ids=device.ids, correlation_ids=pending.correlation_ids)
    (up.downlink_ack if ack else up.downlink_nack).CopyFrom(pending)
    return up


def _retry(device: end_device_pb2.EndDevice, pending: messages_pb2.ApplicationDownlink) -> bool:
    """Put an unacknowledged confirmed downlink back at the head of the queue for another attempt
    (same frame counter: a retransmission), unless its attempts are used up or its session ended."""
    retry = pending.confirmed_retry
    limit = retry.max_attempts.value if retry.HasField("max_attempts") else DEFAULT_CONFIRMED_ATTEMPTS
    session = device.session
    if retry.attempt + 1 >= limit or pending.session_key_id != session.keys.session_key_id:
        return False
    again = messages_pb2.ApplicationDownlink()
    again.CopyFrom(pending)
    again.confirmed_retry.attempt = retry.attempt + 1
    queue = list(session.queued_application_downlinks)
    del session.queued_application_downlinks[:]
    session.queued_application_downlinks.extend([again, *queue])
    return True


def process_data_uplink(device: end_device_pb2.EndDevice, match: Match, facts: UplinkFacts) -> Processed:
    """Apply one verified uplink to ``device`` (mutated in place) and say what follows from it."""
    if match.pending:
        promote_pending(device)
    out = Processed(device)
    session, state = device.session, device.mac_state
    session.last_f_cnt_up = match.f_cnt
    fhdr = facts.mac_payload.fhdr
    acknowledged = _acknowledgement(device, fhdr.f_ctrl.ack)
    if acknowledged is not None:
        out.application_ups.append(acknowledged)
    snrs = [md.snr for md in facts.message.rx_metadata]
    info = UplinkInfo(
        band=facts.band,
        data_rate_index=facts.data_rate_index,
        max_snr=max(snrs) if snrs else None,
        gateway_count=len(facts.message.rx_metadata),
        received_at=facts.received_at,
        f_cnt=match.f_cnt,
    )
    out.mac = handle_uplink_commands(device, _mac_commands(device, facts.mac_payload, match.f_cnt), info)
    if out.mac.reset:
        device.mac_state.CopyFrom(initial_mac_state(device))
        state = device.mac_state
    del state.queued_responses[:]
    state.queued_responses.extend(encode_stored(cmd) for cmd in out.mac.responses)
    state.recent_uplinks.append(_recent(facts, match.f_cnt))
    if len(state.recent_uplinks) > RECENT_UPLINKS:
        del state.recent_uplinks[: len(state.recent_uplinks) - RECENT_UPLINKS]
    state.rx_windows_available = True
    if fhdr.f_ctrl.adr:
        apply_adr(device, facts.band)
    app_up = _application_up(device, facts, match.f_cnt)
    if app_up is not None:
        out.application_ups.append(app_up)
    out.needs_downlink = bool(
        facts.confirmed or state.queued_responses or fhdr.f_ctrl.adr_ack_req or session.queued_application_downlinks
    ) or bool(plan_requests(device, facts.band, match.f_cnt, facts.received_at))
    return out


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp
