"""Finding the device and session of a data uplink: DevAddr among current and pending sessions,
then the MIC over each candidate 32-bit FCnt (LoRaWAN 1.0.4 section 4.4, 1.1 section 4.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lorastack.lorawan import (
    AES128Key,
    DevAddr,
    data_uplink_mic_1_0,
    data_uplink_mic_1_1,
    mic_equal,
)
from networkserver.macstate import is_join_uplink
from networkserver.store import StoredDevice
from networkserver.uplink.fcnt import candidate_f_cnts
from ttn.lorawan.v3 import end_device_pb2, keys_pb2, lorawan_pb2

__all__ = ["Match", "UplinkFrame", "is_replay", "key_of", "match_device"]


@dataclass(frozen=True, slots=True)
class UplinkFrame:
    """What matching needs of a decoded data uplink."""

    dev_addr: DevAddr
    f_cnt: int
    ack: bool
    signed: bytes  # MHDR up to the MIC
    mic: bytes
    data_rate_index: int
    channel_index: int


@dataclass(frozen=True, slots=True)
class Match:
    stored: StoredDevice
    pending: bool  # the pending session (first uplink after a join or rekey) matched
    f_cnt: int


def key_of(envelope: keys_pb2.KeyEnvelope) -> AES128Key | None:
    """The plaintext key of an envelope; wrapped keys are unusable without a KEK."""
    return AES128Key(envelope.key) if len(envelope.key) == 16 else None


def _mic_ok(version: int, session: end_device_pb2.Session, frame: UplinkFrame, f_cnt: int, conf_f_cnt: int) -> bool:
    f_key = key_of(session.keys.f_nwk_s_int_key)
    if f_key is None:
        return False
    if version != lorawan_pb2.MAC_V1_1:
        return mic_equal(data_uplink_mic_1_0(f_key, frame.dev_addr, f_cnt, frame.signed), frame.mic)
    s_key = key_of(session.keys.s_nwk_s_int_key)
    if s_key is None:
        return False
    expected = data_uplink_mic_1_1(
        f_key,
        s_key,
        frame.dev_addr,
        f_cnt,
        frame.signed,
        conf_fcnt=conf_f_cnt if frame.ack else 0,
        tx_dr=frame.data_rate_index,
        tx_ch=frame.channel_index,
    )
    return mic_equal(expected, frame.mic)


def _try_session(
    stored: StoredDevice, session: end_device_pb2.Session, state: end_device_pb2.MACState, frame: UplinkFrame
) -> int | None:
    if session.dev_addr != frame.dev_addr.value:
        return None
    device = stored.device
    settings = device.mac_settings
    fresh = session.last_f_cnt_up == 0 and all(is_join_uplink(up) for up in state.recent_uplinks)
    candidates = candidate_f_cnts(
        session.last_f_cnt_up,
        frame.f_cnt,
        fresh=fresh,
        supports_32_bit=settings.supports_32_bit_f_cnt.value if settings.HasField("supports_32_bit_f_cnt") else True,
        resets_f_cnt=settings.resets_f_cnt.value,
    )
    version = state.lorawan_version or device.lorawan_version
    for f_cnt in candidates:
        if _mic_ok(version, session, frame, f_cnt, session.last_conf_f_cnt_down):
            return f_cnt
    return None


def match_device(devices: Sequence[StoredDevice], frame: UplinkFrame) -> Match | None:
    """The first device whose current, then pending, session verifies the frame."""
    for stored in devices:
        device = stored.device
        if device.HasField("session"):
            f_cnt = _try_session(stored, device.session, device.mac_state, frame)
            if f_cnt is not None:
                return Match(stored, False, f_cnt)
        if device.HasField("pending_session"):
            f_cnt = _try_session(stored, device.pending_session, device.pending_mac_state, frame)
            if f_cnt is not None:
                return Match(stored, True, f_cnt)
    return None


def is_replay(stored: StoredDevice, frame: UplinkFrame) -> bool:
    """Whether the frame verifies with a counter at or below the last accepted one: a replay, as
    opposed to a frame with a wrong MIC."""
    device = stored.device
    for session, state in ((device.session, device.mac_state), (device.pending_session, device.pending_mac_state)):
        if session.dev_addr != frame.dev_addr.value:
            continue
        last = session.last_f_cnt_up
        f_cnt = (last & 0xFFFF0000) | frame.f_cnt
        if f_cnt > last:
            f_cnt -= 0x10000
        version = state.lorawan_version or device.lorawan_version
        if f_cnt >= 0 and _mic_ok(version, session, frame, f_cnt, session.last_conf_f_cnt_down):
            return True
    return False
