"""MICs of join-request, join-accept (1.0 and 1.1), rejoin-request, data up (1.0, 1.1) and down."""

from __future__ import annotations

from lorastack.lorawan import EUI64, AES128Key, DevAddr, DevNonce
from lorastack.lorawan.crypto import (
    JOIN_REQ_TYPE_JOIN,
    data_downlink_mic,
    data_uplink_mic_1_0,
    data_uplink_mic_1_1,
    data_uplink_mic_1_1_f,
    join_accept_mic_1_0,
    join_accept_mic_1_1,
    join_request_mic,
    mic_equal,
    rejoin_request_mic,
)

ONES = AES128Key(bytes([1] * 16))
ADDR = DevAddr.from_hex("01020304")
CS_KEY = AES128Key.from_hex("0102030405060708090a0b0c0d0e0f10")

# TheThingsNetwork/lorawan-stack pkg/crypto/data_messages_test.go TestUplinkDownlinkMIC:
# unconfirmed uplink, DevAddr 01020304, FCnt 1, FPort 1, payload 01020304.
TTS_DATA = bytes.fromhex("40040302010001000101020304")


def test_uplink_1_0_tts() -> None:
    assert data_uplink_mic_1_0(ONES, ADDR, 1, TTS_DATA).hex() == "3b073182"


def test_uplink_1_1_tts() -> None:
    mic = data_uplink_mic_1_1(ONES, ONES, ADDR, 1, TTS_DATA)
    assert mic.hex() == "3b073b07"
    assert data_uplink_mic_1_1_f(ONES, ADDR, 1, TTS_DATA) == mic[2:]


def test_uplink_1_1_b1_fields_change_only_cmac_s() -> None:
    base = data_uplink_mic_1_1(ONES, ONES, ADDR, 1, TTS_DATA)
    for kwargs in ({"conf_fcnt": 5}, {"tx_dr": 3}, {"tx_ch": 2}):
        mic = data_uplink_mic_1_1(ONES, ONES, ADDR, 1, TTS_DATA, **kwargs)
        assert mic[2:] == base[2:]
        assert mic[:2] != base[:2]


def test_downlink_tts() -> None:
    # data_messages_test.go: 1.0 (legacy) and 1.1 with ConfFCnt 0 give the same MIC.
    assert data_downlink_mic(ONES, ADDR, 1, TTS_DATA).hex() == "a5609fa9"
    assert data_downlink_mic(ONES, ADDR, 1, TTS_DATA, conf_fcnt=0).hex() == "a5609fa9"


def test_uplink_1_0_chirpstack() -> None:
    # chirpstack/chirpstack lrwn/src/phy_payload.rs, 1.0.x confirmed uplink doc example.
    frame = bytes.fromhex("80040302010300000673070ae264d4f7e117d2c0")
    assert data_uplink_mic_1_0(CS_KEY, ADDR, 0, frame[:-4]) == frame[-4:]


def test_downlink_1_1_chirpstack() -> None:
    # chirpstack lrwn/src/phy_payload.rs, 1.1 downlink with encrypted FOpts doc example.
    frame = bytes.fromhex("600403020103000022ac0a01f0b468ddaa5ed13a")
    key = AES128Key.from_hex("01010101010101010101010101010100")
    assert data_downlink_mic(key, ADDR, 0, frame[:-4]) == frame[-4:]


def test_32_bit_fcnt_enters_the_mic() -> None:
    assert data_uplink_mic_1_0(ONES, ADDR, 0x10001, TTS_DATA) != data_uplink_mic_1_0(ONES, ADDR, 1, TTS_DATA)


def test_join_request() -> None:
    # lorawan-stack pkg/crypto/join_messages_test.go TestComputeJoinRequestMIC.
    msg = bytes.fromhex("00080706050403020108070605040302010201")
    assert join_request_mic(ONES, msg).hex() == "e6e10c55"
    # chirpstack lrwn/src/phy_payload.rs join-request doc example.
    frame = bytes.fromhex("000101010101010101020202020202020203030" + "9b97b32")
    assert join_request_mic(CS_KEY, frame[:-4]) == frame[-4:]


def test_rejoin_requests() -> None:
    # lorawan-stack pkg/crypto/join_messages_test.go TestComputeRejoinRequestMIC, types 0, 1, 2.
    vectors = [
        ("c00003020108070605040302010201", "11da47bd"),
        ("c001080706050403020108070605040302010201", "67f9abe7"),
        ("c00203020108070605040302010201", "2b459cf0"),
    ]
    for msg, mic in vectors:
        assert rejoin_request_mic(ONES, bytes.fromhex(msg)).hex() == mic


def test_join_accept_1_0() -> None:
    # lorawan-stack join_messages_test.go TestComputeLegacyJoinAcceptMIC.
    msg = bytes.fromhex("20030201030201040302010001")
    assert join_accept_mic_1_0(ONES, msg).hex() == "32f54ab3"
    # chirpstack phy_payload.rs 1.0.x join-accept doc example (JoinNonce 65793, NetID 020202).
    cs = bytes.fromhex("20010101020202040302010000")
    assert join_accept_mic_1_0(CS_KEY, cs).hex() == "3449f212"


def test_join_accept_1_1() -> None:
    # lorawan-stack join_messages_test.go TestComputeJoinAcceptMIC (JoinReqType 0xFF); its EUI and
    # DevNonce literals are big-endian.
    join_eui = EUI64.from_hex("0807060504030201")
    msg = bytes.fromhex("20030201030201040302010001")
    mic = join_accept_mic_1_1(ONES, JOIN_REQ_TYPE_JOIN, join_eui, DevNonce.from_hex("0201"), msg)
    assert mic.hex() == "48e9be5f"
    # chirpstack phy_payload.rs 1.1 join-accept doc example (OptNeg set, DevNonce 258).
    cs = bytes.fromhex("20010101020202040302018000")
    mic = join_accept_mic_1_1(CS_KEY, 0xFF, EUI64.from_hex("0807060504030201"), DevNonce.from_int(258), cs)
    assert mic.hex() == "93ff9a3a"


def test_mic_equal() -> None:
    assert mic_equal(b"1234", b"1234")
    assert not mic_equal(b"1234", b"1235")
