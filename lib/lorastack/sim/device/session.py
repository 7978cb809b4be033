"""A device's session and its data frames: building uplinks, verifying and decrypting downlinks.

LoRaWAN 1.1 sections 4.3 (frame counters, FOpts and FRMPayload encryption) and 4.4 (MIC), with the
1.0.x single-key, single-downlink-counter rules of LoRaWAN 1.0.4 sections 4.3 and 4.4.
"""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.lorawan import (
    FHDR,
    MHDR,
    AES128Key,
    DecodeError,
    DevAddr,
    FCtrl,
    MACPayload,
    MType,
    PHYPayload,
    crypto,
    decode_phy_payload,
)
from lorastack.lorawan import maccommands as mc

__all__ = ["DataDownlink", "DownlinkRejected", "Session", "build_data_uplink", "open_data_downlink"]


class DownlinkRejected(Exception):
    """A downlink for this device that it must drop; ``reason`` is a counter name (mic, f_cnt, decode)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Session:
    dev_addr: DevAddr
    app_s_key: AES128Key
    f_nwk_s_int_key: AES128Key
    s_nwk_s_int_key: AES128Key
    nwk_s_enc_key: AES128Key
    lorawan_1_1: bool
    f_cnt_up: int = 0
    n_f_cnt_down: int | None = None
    a_f_cnt_down: int | None = None
    last_confirmed_f_cnt_up: int = 0
    pending_ack_f_cnt_down: int | None = None


@dataclass(frozen=True, slots=True)
class DataDownlink:
    confirmed: bool
    ack: bool
    f_pending: bool
    f_cnt: int
    f_port: int | None
    payload: bytes
    commands: list[mc.MACCommand]
    unknown_commands: bytes


def build_data_uplink(
    session: Session,
    *,
    f_port: int | None,
    payload: bytes,
    f_opts: bytes,
    confirmed: bool,
    adr: bool = True,
    tx_dr: int = 0,
    tx_ch: int = 0,
) -> bytes:
    """Encrypt and sign the next uplink at ``session.f_cnt_up`` (the caller advances the counter).
    ``f_port`` 0 carries MAC commands in ``payload``, encrypted with the network key."""
    f_cnt = session.f_cnt_up
    addr = session.dev_addr
    ack = session.pending_ack_f_cnt_down is not None
    if f_opts and session.lorawan_1_1:
        f_opts = crypto.encrypt_fopts(session.nwk_s_enc_key, addr, f_cnt, f_opts, uplink=True)
    key = session.nwk_s_enc_key if f_port == 0 else session.app_s_key
    frm = crypto.encrypt_frm_payload(key, addr, f_cnt, payload, uplink=True) if f_port is not None else b""
    mtype = MType.CONFIRMED_DATA_UP if confirmed else MType.UNCONFIRMED_DATA_UP
    fhdr = FHDR(addr, FCtrl(adr=adr, ack=ack), f_cnt & 0xFFFF, f_opts)
    frame = PHYPayload(MHDR(mtype), MACPayload(fhdr, f_port, frm), b"\x00" * 4)
    msg = frame.encode_without_mic()
    if session.lorawan_1_1:
        conf = session.pending_ack_f_cnt_down or 0
        mic = crypto.data_uplink_mic_1_1(
            session.f_nwk_s_int_key, session.s_nwk_s_int_key, addr, f_cnt, msg, conf_fcnt=conf, tx_dr=tx_dr, tx_ch=tx_ch
        )
    else:
        mic = crypto.data_uplink_mic_1_0(session.f_nwk_s_int_key, addr, f_cnt, msg)
    if confirmed:
        session.last_confirmed_f_cnt_up = f_cnt
    return msg + mic


def _full_counter(last: int | None, on_air: int) -> int:
    if last is None:
        return on_air
    candidate = (last & ~0xFFFF) | on_air
    return candidate + 0x10000 if candidate <= last else candidate


def _mic_ok(session: Session, frame: bytes, f_cnt: int, conf_f_cnt: int, mic: bytes) -> bool:
    msg = frame[:-4]
    if session.lorawan_1_1:
        key, conf = session.s_nwk_s_int_key, conf_f_cnt
    else:
        key, conf = session.f_nwk_s_int_key, 0
    return crypto.mic_equal(crypto.data_downlink_mic(key, session.dev_addr, f_cnt, msg, conf_fcnt=conf), mic)


def open_data_downlink(session: Session, frame: bytes, *, ack_expected: bool) -> DataDownlink | None:
    """Verify and decrypt a data downlink; None when it is not addressed to this session's DevAddr.

    ``ack_expected``: the last uplink was confirmed, so a 1.1 MIC covers its FCntUp when ACK is set.
    Raises DownlinkRejected on a MIC failure or a replayed frame counter.
    """
    try:
        phy = decode_phy_payload(frame)
    except DecodeError:
        return None
    mtype = phy.mhdr.mtype
    if mtype not in (MType.UNCONFIRMED_DATA_DOWN, MType.CONFIRMED_DATA_DOWN):
        return None
    assert isinstance(phy.payload, MACPayload)
    mac = phy.payload
    fhdr = mac.fhdr
    if fhdr.dev_addr != session.dev_addr:
        return None
    application = session.lorawan_1_1 and mac.f_port is not None and mac.f_port > 0
    last = session.a_f_cnt_down if application else session.n_f_cnt_down
    f_cnt = _full_counter(last, fhdr.f_cnt)
    conf = session.last_confirmed_f_cnt_up if fhdr.f_ctrl.ack and ack_expected else 0
    if not _mic_ok(session, frame, f_cnt, conf, phy.mic):
        # A counter at or below the last one was taken as rolled over; if it verifies unrolled, it is a replay.
        replay = f_cnt > 0xFFFF and _mic_ok(session, frame, f_cnt - 0x10000, conf, phy.mic)
        raise DownlinkRejected("f_cnt" if replay else "mic")
    if application:
        session.a_f_cnt_down = f_cnt
    else:
        session.n_f_cnt_down = f_cnt
    return _decrypt(session, mac, f_cnt, application, confirmed=mtype == MType.CONFIRMED_DATA_DOWN)


def _decrypt(session: Session, mac: MACPayload, f_cnt: int, application: bool, *, confirmed: bool) -> DataDownlink:
    addr = session.dev_addr
    f_opts = mac.fhdr.f_opts
    if f_opts and session.lorawan_1_1:
        f_opts = crypto.encrypt_fopts(session.nwk_s_enc_key, addr, f_cnt, f_opts, uplink=False, a_fcnt_down=application)
    key = session.nwk_s_enc_key if mac.f_port == 0 else session.app_s_key
    payload = crypto.encrypt_frm_payload(key, addr, f_cnt, mac.frm_payload, uplink=False)
    block = payload if mac.f_port == 0 else f_opts
    commands, rest = mc.parse_mac_commands_lenient(block, uplink=False)
    if confirmed:
        session.pending_ack_f_cnt_down = f_cnt
    return DataDownlink(
        confirmed=confirmed,
        ack=mac.fhdr.f_ctrl.ack,
        f_pending=mac.fhdr.f_ctrl.f_pending,
        f_cnt=f_cnt,
        f_port=mac.f_port,
        payload=b"" if mac.f_port == 0 else payload,
        commands=commands,
        unknown_commands=rest,
    )
