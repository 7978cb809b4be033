"""Building a data downlink from the device state, as a pure function: MAC commands in FOpts
(or FPort 0 when they do not fit), the next application downlink, FCntDown rules (1.0.x one shared
counter, 1.1 AFCntDown and NFCntDown), FOpts encryption and the MIC. LoRaWAN 1.1 sections 4.3, 4.4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lorastack.lorawan import (
    FHDR,
    MHDR,
    DevAddr,
    FCtrl,
    LinkADRReq,
    MACCommand,
    MACPayload,
    MType,
    PHYPayload,
    data_downlink_mic,
    encode_mac_commands,
    encrypt_fopts,
    encrypt_frm_payload,
)
from networkserver.mac import decode_stored
from networkserver.uplink.match import key_of
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

__all__ = ["DataDownlink", "build_data_downlink", "next_f_cnt_down"]

MAX_F_OPTS = 15


@dataclass(slots=True)
class DataDownlink:
    raw: bytes
    f_cnt: int
    application: messages_pb2.ApplicationDownlink | None
    mac_commands: list[MACCommand]
    confirmed: bool
    invalidated: list[messages_pb2.ApplicationDownlink] = field(default_factory=list)
    # Too long for the data rate of the window: dropped from the queue and reported as failed.
    failed: list[messages_pb2.ApplicationDownlink] = field(default_factory=list)


def _is_v11(device: end_device_pb2.EndDevice) -> bool:
    return (device.mac_state.lorawan_version or device.lorawan_version) == lorawan_pb2.MAC_V1_1


def _sent_any(device: end_device_pb2.EndDevice) -> bool:
    session = device.session
    return bool(device.mac_state.recent_downlinks) or bool(session.last_n_f_cnt_down or session.last_a_f_cnt_down)


def next_f_cnt_down(device: end_device_pb2.EndDevice, *, application: bool) -> int:
    """The lowest FCntDown the next downlink may use (AFCntDown for application data in 1.1)."""
    session = device.session
    if _is_v11(device):
        last = session.last_a_f_cnt_down if application else session.last_n_f_cnt_down
        return last + 1 if last or _sent_any(device) else 0
    last = max(session.last_n_f_cnt_down, session.last_a_f_cnt_down)
    return last + 1 if _sent_any(device) else 0


def _take_application(
    device: end_device_pb2.EndDevice,
) -> tuple[messages_pb2.ApplicationDownlink | None, list[messages_pb2.ApplicationDownlink]]:
    queue = device.session.queued_application_downlinks
    invalid: list[messages_pb2.ApplicationDownlink] = []
    minimum = next_f_cnt_down(device, application=True)
    while queue:
        head = queue[0]
        # A confirmed downlink being retransmitted keeps the counter it was first sent with.
        retransmission = head.confirmed_retry.attempt > 0 and head.f_cnt == minimum - 1
        if head.session_key_id == device.session.keys.session_key_id and (head.f_cnt >= minimum or retransmission):
            return head, invalid
        stale = messages_pb2.ApplicationDownlink()
        stale.CopyFrom(head)
        invalid.append(stale)
        del queue[0]
    return None, invalid


def _groups(commands: Sequence[MACCommand]) -> list[list[MACCommand]]:
    # Consecutive LinkADRReqs are one block the device applies together (LoRaWAN 1.0.4 section
    # 5.3): half a block would leave it with a partial channel mask.
    groups: list[list[MACCommand]] = []
    for command in commands:
        if groups and isinstance(command, LinkADRReq) and isinstance(groups[-1][-1], LinkADRReq):
            groups[-1].append(command)
        else:
            groups.append([command])
    return groups


def _fit(commands: Sequence[MACCommand], limit: int) -> list[MACCommand]:
    out: list[MACCommand] = []
    size = 0
    for group in _groups(commands):
        length = sum(1 + command.LENGTH for command in group)
        if size + length > limit:
            break
        out.extend(group)
        size += length
    return out


def build_data_downlink(
    device: end_device_pb2.EndDevice,
    requests: Sequence[MACCommand],
    *,
    ack: bool,
    ack_f_cnt: int = 0,
    max_frm_payload: int = 242,
) -> DataDownlink | None:
    """The next class A (or C) data downlink, or None when there is nothing to send. Pops the sent
    application downlink and invalid ones from ``device.session``."""
    session = device.session
    responses = [c for c in (decode_stored(s, uplink=False) for s in device.mac_state.queued_responses) if c]
    application, invalidated = _take_application(device)
    failed: list[messages_pb2.ApplicationDownlink] = []
    if application is not None and len(application.frm_payload) > max_frm_payload:
        failed.append(messages_pb2.ApplicationDownlink())
        failed[0].CopyFrom(application)
        del session.queued_application_downlinks[0]
        application = None
    limit = MAX_F_OPTS if application is not None else max_frm_payload
    mac = _fit([*responses, *requests], limit)
    if application is None and not mac and not ack:
        return DataDownlink(b"", 0, None, [], False, invalidated, failed) if invalidated or failed else None
    v11 = _is_v11(device)
    addr = DevAddr(session.dev_addr)
    f_cnt = application.f_cnt if application is not None else next_f_cnt_down(device, application=False)
    mac_bytes = encode_mac_commands(mac)
    f_opts, f_port, frm = b"", None, b""
    if application is not None:
        f_port, frm = application.f_port, application.frm_payload
        f_opts = mac_bytes
    elif len(mac_bytes) > MAX_F_OPTS:
        key = key_of(session.keys.nwk_s_enc_key if v11 else session.keys.f_nwk_s_int_key)
        assert key is not None
        f_port, frm = 0, encrypt_frm_payload(key, addr, f_cnt, mac_bytes, uplink=False)
    else:
        f_opts = mac_bytes
    enc_key = key_of(session.keys.nwk_s_enc_key)
    if v11 and f_opts and enc_key is not None:
        f_opts = encrypt_fopts(enc_key, addr, f_cnt, f_opts, uplink=False, a_fcnt_down=bool(f_port))
    confirmed = application is not None and application.confirmed
    more = len(session.queued_application_downlinks) > (1 if application is not None else 0)
    adr_enabled = device.mac_settings.adr.WhichOneof("mode") != "disabled"
    fhdr = FHDR(addr, FCtrl(adr=adr_enabled, ack=ack, f_pending=more), f_cnt & 0xFFFF, f_opts)
    payload = MACPayload(fhdr, f_port, frm)
    phy = PHYPayload(MHDR(MType.CONFIRMED_DATA_DOWN if confirmed else MType.UNCONFIRMED_DATA_DOWN), payload, b"\0" * 4)
    signed = phy.encode_without_mic()
    mic_key = key_of(session.keys.s_nwk_s_int_key if v11 else session.keys.f_nwk_s_int_key)
    assert mic_key is not None
    mic = data_downlink_mic(mic_key, addr, f_cnt, signed, conf_fcnt=ack_f_cnt if (v11 and ack) else 0)
    if application is not None:
        del session.queued_application_downlinks[0]
    return DataDownlink(signed + mic, f_cnt, application, mac, confirmed, invalidated, failed)
