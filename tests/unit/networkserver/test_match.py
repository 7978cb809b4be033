"""Device matching by DevAddr and MIC over the 32-bit FCnt: 1.0.x, 1.1, pending sessions, replays."""

from __future__ import annotations

from lorastack.lorawan import AES128Key, DevAddr, data_uplink_mic_1_0, data_uplink_mic_1_1
from networkserver.store import StoredDevice
from networkserver.uplink.match import UplinkFrame, is_replay, match_device
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

ADDR = DevAddr.from_hex("26011BDA")
F_KEY, S_KEY = bytes(range(16)), bytes(range(16, 32))
BODY = b"\x40\xda\x1b\x01\x26\x00\x05\x00\x01\xaa"  # the MIC covers whatever bytes came, FCnt from the frame


def _stored(version: int = lorawan_pb2.MAC_V1_0_3, last: int = 0, pending: bool = False) -> StoredDevice:
    device = end_device_pb2.EndDevice(lorawan_version=version)  # type: ignore[arg-type]
    session = device.pending_session if pending else device.session
    session.dev_addr = ADDR.value
    session.keys.f_nwk_s_int_key.key = F_KEY
    session.keys.s_nwk_s_int_key.key = S_KEY
    session.last_f_cnt_up = last
    if last:
        (device.pending_mac_state if pending else device.mac_state).recent_uplinks.add()
    return StoredDevice("app", "dev", "1", device)


def _frame(f_cnt: int, mic: bytes) -> UplinkFrame:
    return UplinkFrame(ADDR, f_cnt & 0xFFFF, False, BODY, mic, 5, 2)


def _mic_1_0(f_cnt: int) -> bytes:
    return data_uplink_mic_1_0(AES128Key(F_KEY), ADDR, f_cnt, BODY)


def test_1_0_match_with_rollover() -> None:
    match = match_device([_stored(last=0xFFFE)], _frame(0x10003, _mic_1_0(0x10003)))
    assert match is not None and match.f_cnt == 0x10003 and not match.pending


def test_1_1_match_needs_both_halves() -> None:
    mic = data_uplink_mic_1_1(AES128Key(F_KEY), AES128Key(S_KEY), ADDR, 9, BODY, tx_dr=5, tx_ch=2)
    stored = _stored(lorawan_pb2.MAC_V1_1, last=3)
    assert match_device([stored], _frame(9, mic)) is not None
    wrong_channel = UplinkFrame(ADDR, 9, False, BODY, mic, 5, 1)
    assert match_device([stored], wrong_channel) is None


def test_pending_session_matches() -> None:
    match = match_device([_stored(pending=True)], _frame(0, _mic_1_0(0)))
    assert match is not None and match.pending


def test_the_join_request_kept_for_the_accept_leaves_the_session_fresh() -> None:
    stored = _stored(pending=True)
    stored.device.pending_mac_state.recent_uplinks.add().payload.m_hdr.m_type = lorawan_pb2.JOIN_REQUEST
    match = match_device([stored], _frame(0, _mic_1_0(0)))
    assert match is not None and match.pending and match.f_cnt == 0


def test_wrong_key_is_no_match_and_no_replay() -> None:
    mic = data_uplink_mic_1_0(AES128Key(bytes(16)), ADDR, 4, BODY)
    stored = _stored(last=2)
    assert match_device([stored], _frame(4, mic)) is None
    assert not is_replay(stored, _frame(4, mic))


def test_replay_is_recognised() -> None:
    stored = _stored(last=7)
    frame = _frame(7, _mic_1_0(7))
    assert match_device([stored], frame) is None
    assert is_replay(stored, frame)
