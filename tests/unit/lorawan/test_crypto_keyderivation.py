"""Session key and Join Server key derivation, LoRaWAN 1.0.x and 1.1."""

from __future__ import annotations

from lorastack.lorawan import EUI64, AES128Key, DevNonce, JoinNonce, NetID
from lorastack.lorawan.crypto import (
    derive_app_s_key_1_0,
    derive_app_s_key_1_1,
    derive_f_nwk_s_int_key,
    derive_js_enc_key,
    derive_js_int_key,
    derive_nwk_s_enc_key,
    derive_nwk_s_key_1_0,
    derive_s_nwk_s_int_key,
)


def key(values: list[int]) -> AES128Key:
    return AES128Key(bytes(values))


def test_chirpstack_vectors() -> None:
    # chirpstack/chirpstack lrwn/src/keys.rs tests lorawan_1_0 and lorawan_1_1.
    nwk_key = AES128Key.from_hex("01020304050607080102030405060708")
    app_key = AES128Key(bytes(16))
    join_eui = EUI64.from_hex("0807060504030201")
    join_nonce = JoinNonce.from_int(65536)
    dev_nonce = DevNonce.from_int(258)
    net_id = NetID.from_hex("010203")
    assert derive_nwk_s_key_1_0(nwk_key, join_nonce, net_id, dev_nonce) == key(
        [223, 83, 195, 95, 48, 52, 204, 206, 208, 255, 53, 76, 112, 222, 4, 223]
    )
    assert derive_app_s_key_1_0(nwk_key, join_nonce, net_id, dev_nonce) == key(
        [146, 123, 156, 145, 17, 131, 207, 254, 76, 178, 255, 75, 117, 84, 95, 109]
    )
    assert derive_app_s_key_1_1(app_key, join_nonce, join_eui, dev_nonce) == key(
        [1, 98, 18, 21, 209, 202, 8, 254, 191, 12, 96, 44, 194, 173, 144, 250]
    )
    assert derive_f_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce) == key(
        [83, 127, 138, 174, 137, 108, 121, 224, 21, 209, 2, 208, 98, 134, 53, 78]
    )
    assert derive_s_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce) == key(
        [88, 148, 152, 153, 48, 146, 207, 219, 95, 210, 224, 42, 199, 81, 11, 241]
    )
    assert derive_nwk_s_enc_key(nwk_key, join_nonce, join_eui, dev_nonce) == key(
        [152, 152, 40, 60, 79, 102, 235, 108, 111, 213, 22, 88, 130, 4, 108, 64]
    )


def test_the_things_stack_vectors() -> None:
    # TheThingsNetwork/lorawan-stack pkg/crypto/key_derivation_test.go TestKeyDerivation.
    root = AES128Key.from_hex("BEC499C69E9C939E413B663961636C61")
    dev_nonce = DevNonce.from_hex("7369")
    net_id = NetID.from_hex("020101")
    join_nonce = JoinNonce.from_hex("AE3B1C")
    join_eui = EUI64.from_hex("0000001223224242")
    dev_eui = EUI64.from_hex("0042004213424341")
    expected = {
        "app_s_key_1_1": "B035CCE24E4A040EB5CECBF21724412D",
        "f_nwk_s_int_key": "379084E7CE22FF191BFF4B77536F2AA3",
        "s_nwk_s_int_key": "63C59309D53485BC5164DBF71627AEB9",
        "nwk_s_enc_key": "CE07A009A3970AC0519A099ED53E550B",
        "app_s_key_1_0": "8C1E0543A229088DE6F84E74BB46BD62",
        "nwk_s_key_1_0": "0DB924EE6AF90698E05FC7CE48303C01",
        "js_int_key": "CB8E9EE114C3FB5CE472A5AA13AB1855",
        "js_enc_key": "BB711EEFB9829B4A75866F8616BACD6D",
    }
    got = {
        "app_s_key_1_1": derive_app_s_key_1_1(root, join_nonce, join_eui, dev_nonce),
        "f_nwk_s_int_key": derive_f_nwk_s_int_key(root, join_nonce, join_eui, dev_nonce),
        "s_nwk_s_int_key": derive_s_nwk_s_int_key(root, join_nonce, join_eui, dev_nonce),
        "nwk_s_enc_key": derive_nwk_s_enc_key(root, join_nonce, join_eui, dev_nonce),
        "app_s_key_1_0": derive_app_s_key_1_0(root, join_nonce, net_id, dev_nonce),
        "nwk_s_key_1_0": derive_nwk_s_key_1_0(root, join_nonce, net_id, dev_nonce),
        "js_int_key": derive_js_int_key(root, dev_eui),
        "js_enc_key": derive_js_enc_key(root, dev_eui),
    }
    assert {name: str(value) for name, value in got.items()} == expected
