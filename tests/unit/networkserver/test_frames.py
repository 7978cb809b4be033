"""Data downlink frames: FCntDown rules, FOpts (encrypted in 1.1), FPort 0 overflow, invalidation, MIC."""

from __future__ import annotations

from lorastack.lorawan import (
    AES128Key,
    DevAddr,
    DevStatusReq,
    LinkCheckAns,
    MACPayload,
    MType,
    data_downlink_mic,
    decode_phy_payload,
    encrypt_fopts,
    parse_mac_commands,
)
from networkserver.downlink.frames import build_data_downlink, next_f_cnt_down
from networkserver.mac import encode_stored
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

ADDR = DevAddr.from_hex("26011BDA")
F_KEY = bytes(range(16))
S_KEY = bytes(range(16, 32))
E_KEY = bytes(range(32, 48))


def _device(version: int = lorawan_pb2.MAC_V1_0_3) -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(lorawan_version=version)  # type: ignore[arg-type]
    device.mac_state.lorawan_version = version  # type: ignore[assignment]
    session = device.session
    session.dev_addr = ADDR.value
    session.keys.session_key_id = b"sk"
    session.keys.f_nwk_s_int_key.key = F_KEY
    session.keys.s_nwk_s_int_key.key = S_KEY
    session.keys.nwk_s_enc_key.key = E_KEY
    return device


def _down(f_cnt: int, confirmed: bool = False) -> messages_pb2.ApplicationDownlink:
    return messages_pb2.ApplicationDownlink(
        session_key_id=b"sk", f_port=3, f_cnt=f_cnt, frm_payload=b"\xaa", confirmed=confirmed
    )


def test_nothing_to_send() -> None:
    assert build_data_downlink(_device(), [], ack=False) is None


def test_ack_only_uses_the_next_counter_and_a_valid_mic() -> None:
    device = _device()
    device.session.last_n_f_cnt_down = 4
    device.session.last_a_f_cnt_down = 6
    built = build_data_downlink(device, [], ack=True)
    assert built is not None and built.f_cnt == 7
    phy = decode_phy_payload(built.raw)
    assert isinstance(phy.payload, MACPayload) and phy.payload.fhdr.f_ctrl.ack
    assert phy.mic == data_downlink_mic(AES128Key(F_KEY), ADDR, 7, built.raw[:-4])


def test_first_downlink_of_a_session_has_counter_zero() -> None:
    assert next_f_cnt_down(_device(), application=False) == 0


def test_application_downlink_with_mac_in_fopts_and_pending_flag() -> None:
    device = _device()
    device.session.queued_application_downlinks.extend([_down(1, confirmed=True), _down(2)])
    device.mac_state.queued_responses.append(encode_stored(LinkCheckAns(margin=5, gw_cnt=1)))
    built = build_data_downlink(device, [DevStatusReq()], ack=False)
    assert built is not None and built.application is not None and built.confirmed
    phy = decode_phy_payload(built.raw)
    assert phy.mhdr.mtype == MType.CONFIRMED_DATA_DOWN
    assert isinstance(phy.payload, MACPayload)
    assert phy.payload.f_port == 3 and phy.payload.fhdr.f_cnt == 1 and phy.payload.fhdr.f_ctrl.f_pending
    assert parse_mac_commands(phy.payload.fhdr.f_opts, uplink=False) == [LinkCheckAns(5, 1), DevStatusReq()]
    assert [d.f_cnt for d in device.session.queued_application_downlinks] == [2]


def test_stale_application_downlinks_are_invalidated() -> None:
    device = _device()
    device.session.last_n_f_cnt_down = 5
    device.session.queued_application_downlinks.extend([_down(3), _down(6)])
    built = build_data_downlink(device, [], ack=False)
    assert built is not None and built.application is not None
    assert built.application.f_cnt == 6
    assert [d.f_cnt for d in built.invalidated] == [3]


def test_lorawan_1_1_encrypts_fopts_and_uses_nfcntdown() -> None:
    device = _device(lorawan_pb2.MAC_V1_1)
    device.session.last_n_f_cnt_down = 9
    device.session.last_a_f_cnt_down = 40
    device.mac_state.queued_responses.append(encode_stored(LinkCheckAns(margin=5, gw_cnt=1)))
    built = build_data_downlink(device, [], ack=True, ack_f_cnt=77)
    assert built is not None and built.f_cnt == 10
    phy = decode_phy_payload(built.raw)
    assert isinstance(phy.payload, MACPayload)
    plain = encrypt_fopts(AES128Key(E_KEY), ADDR, 10, phy.payload.fhdr.f_opts, uplink=False)
    assert parse_mac_commands(plain, uplink=False) == [LinkCheckAns(5, 1)]
    assert phy.mic == data_downlink_mic(AES128Key(S_KEY), ADDR, 10, built.raw[:-4], conf_fcnt=77)


def test_too_long_for_the_window_fails_the_downlink() -> None:
    device = _device()
    device.session.queued_application_downlinks.append(_down(1))
    device.session.queued_application_downlinks[0].frm_payload = bytes(60)
    built = build_data_downlink(device, [], ack=False, max_frm_payload=51)
    assert built is not None and not built.raw
    assert [d.f_cnt for d in built.failed] == [1]
    assert not device.session.queued_application_downlinks
