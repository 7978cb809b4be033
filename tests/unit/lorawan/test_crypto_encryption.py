"""FRMPayload, FOpts (1.1 and its errata) and join-accept encryption."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan import AES128Key, DecodeError, DevAddr, EncodeError
from lorastack.lorawan.crypto import decrypt_join_accept, encrypt_fopts, encrypt_frm_payload, encrypt_join_accept

ONES = AES128Key(bytes([1] * 16))
ADDR = DevAddr.from_hex("01020304")
DATA = bytes((1, 2, 3, 4))


def test_frm_payload_tts() -> None:
    # TheThingsNetwork/lorawan-stack pkg/crypto/data_messages_test.go TestUplinkDownlinkEncryption.
    assert encrypt_frm_payload(ONES, ADDR, 1, DATA, uplink=True).hex() == "cff30b4e"
    assert encrypt_frm_payload(ONES, ADDR, 1, bytes.fromhex("cff30b4e"), uplink=True) == DATA
    assert encrypt_frm_payload(ONES, ADDR, 1, DATA, uplink=False).hex() == "4e75f440"


def test_frm_payload_chirpstack() -> None:
    # chirpstack/chirpstack lrwn/src/phy_payload.rs 1.0.x confirmed uplink doc example (AppSKey, FCnt 0).
    app_s_key = AES128Key.from_hex("100f0e0d0c0b0a090807060504030201")
    assert encrypt_frm_payload(app_s_key, ADDR, 0, DATA, uplink=True).hex() == "e264d4f7"
    # chirpstack phy_payload.rs 1.1 downlink doc example.
    assert encrypt_frm_payload(app_s_key, ADDR, 0, DATA, uplink=False).hex() == "f0b468dd"


def test_fopts_original_1_1_tts() -> None:
    # lorawan-stack data_messages_test.go: FOpts with the LoRaWAN 1.1 (pre-errata) block.
    assert encrypt_fopts(ONES, ADDR, 1, DATA, uplink=True, errata=False).hex() == "33c92622"
    assert encrypt_fopts(ONES, ADDR, 1, DATA, uplink=False, errata=False).hex() == "ca6fdaba"


def test_fopts_errata_chirpstack() -> None:
    # chirpstack lrwn/src/phy_payload.rs 1.1 downlink doc example: LinkCheckAns(7, 1) in FOpts of an
    # FPort 1 downlink, so AFCntDown keys FOpts (errata block with 0x02).
    key = AES128Key.from_hex("01010101010101010101010101010200")
    encrypted = encrypt_fopts(key, ADDR, 0, bytes.fromhex("020701"), uplink=False, a_fcnt_down=True)
    assert encrypted.hex() == "22ac0a"
    # With NFCntDown the errata block differs, so the key stream does too.
    assert encrypt_fopts(key, ADDR, 0, bytes.fromhex("020701"), uplink=False) != encrypted


def test_fopts_rules() -> None:
    with pytest.raises(EncodeError):
        encrypt_fopts(ONES, ADDR, 0, b"\x00" * 16, uplink=True)
    with pytest.raises(EncodeError):
        encrypt_fopts(ONES, ADDR, 0, DATA, uplink=True, a_fcnt_down=True)
    assert encrypt_fopts(ONES, ADDR, 0, b"", uplink=True) == b""


def test_join_accept_tts() -> None:
    # lorawan-stack pkg/crypto/join_messages_test.go TestJoinAcceptEncryption.
    plain = bytes.fromhex("03020103020104030201000132f54ab3")
    cipher = bytes.fromhex("c9fbb259e11649096a568a9e3b7117c3")
    assert encrypt_join_accept(ONES, plain) == cipher
    assert decrypt_join_accept(ONES, cipher) == plain


def test_join_accept_chirpstack() -> None:
    # chirpstack lrwn/src/phy_payload.rs 1.0.x and 1.1 join-accept doc examples.
    key = AES128Key.from_hex("0102030405060708090a0b0c0d0e0f10")
    plain_1_0 = bytes.fromhex("0101010202020403020100003449f212")
    assert encrypt_join_accept(key, plain_1_0).hex() == "23cf335489aae3183c0be0baa8dee5f3"
    plain_1_1 = bytes.fromhex("01010102020204030201800093ff9a3a")
    assert encrypt_join_accept(key, plain_1_1).hex() == "7abeea06b02920f11c02d0348fcf1815"


def test_join_accept_sizes() -> None:
    with pytest.raises(EncodeError):
        encrypt_join_accept(ONES, b"\x00" * 17)
    with pytest.raises(DecodeError):
        decrypt_join_accept(ONES, b"\x00" * 15)


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=222), st.integers(0, 0xFFFFFFFF), st.booleans())
def test_frm_payload_is_an_involution(data: bytes, fcnt: int, uplink: bool) -> None:
    encrypted = encrypt_frm_payload(ONES, ADDR, fcnt, data, uplink=uplink)
    assert len(encrypted) == len(data)
    assert encrypt_frm_payload(ONES, ADDR, fcnt, encrypted, uplink=uplink) == data
