"""PHYPayload, MHDR, FHDR, MACPayload and join payload codec: vectors and properties."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan import (
    EUI64,
    FHDR,
    MHDR,
    CFListFrequencies,
    DecodeError,
    DevAddr,
    DevNonce,
    DLSettings,
    EncodeError,
    EncryptedJoinAccept,
    FCtrl,
    JoinAcceptPayload,
    JoinNonce,
    JoinRequestPayload,
    LoRaWANError,
    MACPayload,
    MType,
    NetID,
    PHYPayload,
    ProprietaryPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
    decode_join_accept_plaintext,
    decode_phy_payload,
)

JOIN_REQUEST = PHYPayload(
    MHDR(MType.JOIN_REQUEST),
    JoinRequestPayload(EUI64.from_hex("0102030405060708"), EUI64.from_hex("0807060504030201"), DevNonce.from_int(1024)),
    bytes((1, 2, 3, 4)),
)

# (frame, bytes, source)
VECTORS = [
    # chirpstack/chirpstack lrwn/src/phy_payload.rs test_non_proprietary
    (JOIN_REQUEST, "0008070605040302010102030405060708000401020304"),
    # chirpstack lrwn/src/phy_payload.rs test_proprietary
    (PHYPayload(MHDR(MType.PROPRIETARY), ProprietaryPayload(b"")), "e0"),
    (PHYPayload(MHDR(MType.PROPRIETARY), ProprietaryPayload(b"\x01\x02\x03")), "e0010203"),
    # TheThingsNetwork/lorawan-stack pkg/crypto/data_messages_test.go TestUplinkDownlinkMIC frame, with its
    # 1.0 uplink MIC 3B073182
    (
        PHYPayload(
            MHDR(MType.UNCONFIRMED_DATA_UP),
            MACPayload(FHDR(DevAddr.from_hex("01020304"), FCtrl(), 1), 1, b"\x01\x02\x03\x04"),
            bytes.fromhex("3b073182"),
        ),
        "400403020100010001010203043b073182",
    ),
    # chirpstack lrwn/src/phy_payload.rs 1.0 confirmed uplink doc example (FOpts DevStatusAns, FPort 10)
    (
        PHYPayload(
            MHDR(MType.CONFIRMED_DATA_UP),
            MACPayload(
                FHDR(DevAddr.from_hex("01020304"), FCtrl(), 0, bytes.fromhex("067307")), 10, bytes.fromhex("e264d4f7")
            ),
            bytes.fromhex("e117d2c0"),
        ),
        "80040302010300000673070ae264d4f7e117d2c0",
    ),
    # lorawan-stack pkg/crypto/join_messages_test.go TestComputeRejoinRequestMIC (types 0, 1, 2)
    (
        PHYPayload(
            MHDR(MType.REJOIN_REQUEST),
            RejoinRequest02Payload(0, NetID.from_hex("010203"), EUI64.from_hex("0102030405060708"), 0x0102),
            bytes.fromhex("11da47bd"),
        ),
        "c0000302010807060504030201020111da47bd",
    ),
    (
        PHYPayload(
            MHDR(MType.REJOIN_REQUEST),
            RejoinRequest1Payload(EUI64.from_hex("0102030405060708"), EUI64.from_hex("0102030405060708"), 0x0102),
            bytes.fromhex("67f9abe7"),
        ),
        "c00108070605040302010807060504030201020167f9abe7",
    ),
    # chirpstack lrwn/src/phy_payload.rs 1.0 join-accept doc example, encrypted form
    (
        PHYPayload(
            MHDR(MType.JOIN_ACCEPT),
            EncryptedJoinAccept(bytes.fromhex("23cf335489aae3183c0be0ba")),
            bytes.fromhex("a8dee5f3"),
        ),
        "2023cf335489aae3183c0be0baa8dee5f3",
    ),
]


@pytest.mark.parametrize(("frame", "hex_bytes"), VECTORS)
def test_vectors(frame: PHYPayload, hex_bytes: str) -> None:
    assert frame.encode().hex() == hex_bytes
    assert decode_phy_payload(bytes.fromhex(hex_bytes)) == frame


def test_join_accept_plaintext() -> None:
    # lorawan-stack pkg/crypto/join_messages_test.go TestJoinAcceptEncryption plaintext, plus MHDR 0x20.
    plain = bytes.fromhex("2003020103020104030201000132f54ab3")
    frame = decode_join_accept_plaintext(plain)
    assert frame.payload == JoinAcceptPayload(
        JoinNonce.from_hex("010203"), NetID.from_hex("010203"), DevAddr.from_hex("01020304"), DLSettings(), 1
    )
    assert frame.encode() == plain


def test_join_accept_with_cflist_and_dlsettings() -> None:
    payload = JoinAcceptPayload(
        JoinNonce.from_int(1),
        NetID.from_hex("000013"),
        DevAddr.from_hex("26011234"),
        DLSettings(rx1_dr_offset=3, rx2_dr=8, opt_neg=True),
        5,
        CFListFrequencies((867100000, 867300000, 867500000, 867700000, 867900000)),
    )
    frame = PHYPayload(MHDR(MType.JOIN_ACCEPT), payload, b"\x00\x00\x00\x00")
    raw = frame.encode()
    assert len(raw) == 33
    assert raw[11] == 0x80 | 0x30 | 0x08
    assert decode_join_accept_plaintext(raw) == frame


@pytest.mark.parametrize(
    ("hex_bytes", "offset", "words"),
    [
        ("", 0, "empty"),
        ("40010203", 4, "no room"),
        ("41" + "00" * 12, 0, "major"),
        ("400403020105000000000000", 5, "FOptsLen"),
        ("4004030201010000aa000b0c0d0e", 9, "FPort 0"),
        ("00" + "00" * 17 + "01020304", 1, "18 bytes"),
        ("c003" + "00" * 13 + "00000000", 1, "rejoin type"),
        ("20" + "00" * 14, 1, "join-accept"),
    ],
)
def test_decode_errors_name_the_byte(hex_bytes: str, offset: int, words: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_phy_payload(bytes.fromhex(hex_bytes))
    assert info.value.offset == offset
    assert words in str(info.value)


def test_encode_errors() -> None:
    fhdr = FHDR(DevAddr.from_hex("01020304"), FCtrl(f_pending=True), 70000)
    with pytest.raises(EncodeError):
        PHYPayload(MHDR(MType.UNCONFIRMED_DATA_DOWN), MACPayload(fhdr), b"1234").encode()
    with pytest.raises(EncodeError):
        PHYPayload(MHDR(MType.JOIN_ACCEPT), JOIN_REQUEST.payload, b"1234").encode()
    fhdr_ok = FHDR(DevAddr.from_hex("01020304"), FCtrl(f_pending=True), 7)
    with pytest.raises(EncodeError):
        PHYPayload(MHDR(MType.UNCONFIRMED_DATA_UP), MACPayload(fhdr_ok), b"1234").encode()
    with pytest.raises(EncodeError):
        PHYPayload(MHDR(MType.UNCONFIRMED_DATA_DOWN), MACPayload(fhdr_ok), b"12").encode()


def test_fctrl_bits_by_direction() -> None:
    # LoRaWAN 1.1 section 4.3.1: bit 4 is ClassB up, FPending down.
    up = decode_phy_payload(bytes.fromhex("40040302019f0100" + "aa" * 15 + "00000000"))
    assert isinstance(up.payload, MACPayload)
    assert up.payload.fhdr.f_ctrl == FCtrl(adr=True, ack=False, class_b=True, adr_ack_req=False)
    assert len(up.payload.fhdr.f_opts) == 15
    down = decode_phy_payload(bytes.fromhex("6004030201b0010001" + "00000000"))
    assert isinstance(down.payload, MACPayload)
    assert down.payload.fhdr.f_ctrl == FCtrl(adr=True, ack=True, f_pending=True)
    assert down.payload.f_port == 1
    assert down.payload.frm_payload == b""


eui = st.binary(min_size=8, max_size=8).map(EUI64)
addr = st.binary(min_size=4, max_size=4).map(DevAddr)


@st.composite
def data_frames(draw: st.DrawFn) -> PHYPayload:
    mtype = draw(st.sampled_from([MType(2), MType(3), MType(4), MType(5)]))
    uplink = mtype.is_uplink
    fctrl = FCtrl(
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()) and uplink,
        draw(st.booleans()) and not uplink,
    )
    f_opts = draw(st.binary(max_size=15))
    port = draw(st.none() | st.integers(1 if f_opts else 0, 255))
    frm = draw(st.binary(max_size=64)) if port is not None else b""
    fhdr = FHDR(draw(addr), fctrl, draw(st.integers(0, 0xFFFF)), f_opts)
    return PHYPayload(
        MHDR(mtype, rfu=draw(st.integers(0, 7))), MACPayload(fhdr, port, frm), draw(st.binary(min_size=4, max_size=4))
    )


join_frames = st.one_of(
    st.builds(
        lambda j, d, n, m: PHYPayload(MHDR(MType.JOIN_REQUEST), JoinRequestPayload(j, d, DevNonce(n)), m),
        eui,
        eui,
        st.binary(min_size=2, max_size=2),
        st.binary(min_size=4, max_size=4),
    ),
    st.builds(
        lambda t, n, d, c, m: PHYPayload(MHDR(MType.REJOIN_REQUEST), RejoinRequest02Payload(t, NetID(n), d, c), m),
        st.sampled_from([0, 2]),
        st.binary(min_size=3, max_size=3),
        eui,
        st.integers(0, 0xFFFF),
        st.binary(min_size=4, max_size=4),
    ),
    st.builds(
        lambda j, d, c, m: PHYPayload(MHDR(MType.REJOIN_REQUEST), RejoinRequest1Payload(j, d, c), m),
        eui,
        eui,
        st.integers(0, 0xFFFF),
        st.binary(min_size=4, max_size=4),
    ),
    st.builds(
        lambda c, m: PHYPayload(MHDR(MType.JOIN_ACCEPT), EncryptedJoinAccept(c), m),
        st.sampled_from([12, 28]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
        st.binary(min_size=4, max_size=4),
    ),
    st.builds(lambda d: PHYPayload(MHDR(MType.PROPRIETARY), ProprietaryPayload(d)), st.binary(max_size=40)),
)


@settings(deadline=None, max_examples=200)
@given(st.one_of(data_frames(), join_frames))
def test_every_frame_round_trips(frame: PHYPayload) -> None:
    assert decode_phy_payload(frame.encode()) == frame


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=80))
def test_random_bytes_decode_or_raise_typed_error(data: bytes) -> None:
    try:
        frame = decode_phy_payload(data)
    except LoRaWANError:
        return
    # Whatever decodes re-encodes to the very same bytes (MIC checks rely on it).
    assert frame.encode() == data


@settings(deadline=None, max_examples=200)
@given(data_frames(), st.data())
def test_truncated_and_oversized_frames(frame: PHYPayload, data: st.DataObject) -> None:
    raw = frame.encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    for candidate in (raw[:cut], raw + data.draw(st.binary(min_size=1, max_size=300))):
        with contextlib.suppress(LoRaWANError):
            decode_phy_payload(candidate)
    with pytest.raises(LoRaWANError):
        decode_join_accept_plaintext(raw[:cut])
