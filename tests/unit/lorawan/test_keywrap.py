"""AES key wrap (RFC 3394) for KEKs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan import DecodeError, EncodeError, unwrap_key, wrap_key

KEK_128 = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
KEK_192 = bytes.fromhex("000102030405060708090A0B0C0D0E0F1011121314151617")
KEK_256 = bytes.fromhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
DATA_128 = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
DATA_192 = bytes.fromhex("00112233445566778899AABBCCDDEEFF0001020304050607")
DATA_256 = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")

# RFC 3394 sections 4.1 to 4.6.
VECTORS = [
    (KEK_128, DATA_128, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"),
    (KEK_192, DATA_128, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"),
    (KEK_256, DATA_128, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"),
    (KEK_192, DATA_192, "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"),
    (KEK_256, DATA_192, "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"),
    (KEK_256, DATA_256, "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"),
]


@pytest.mark.parametrize(("kek", "key", "wrapped"), VECTORS)
def test_rfc3394(kek: bytes, key: bytes, wrapped: str) -> None:
    assert wrap_key(kek, key).hex().upper() == wrapped
    assert unwrap_key(kek, bytes.fromhex(wrapped)) == key


def test_wrong_kek_and_tampering() -> None:
    wrapped = wrap_key(KEK_128, DATA_128)
    with pytest.raises(DecodeError):
        unwrap_key(bytes(16), wrapped)
    with pytest.raises(DecodeError):
        unwrap_key(KEK_128, wrapped[:-1] + bytes((wrapped[-1] ^ 1,)))
    with pytest.raises(DecodeError):
        unwrap_key(KEK_128, wrapped[:20])
    with pytest.raises(EncodeError):
        wrap_key(b"short", DATA_128)
    with pytest.raises(EncodeError):
        wrap_key(KEK_128, b"\x00" * 12)


@settings(deadline=None, max_examples=100)
@given(
    st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    st.binary(min_size=16, max_size=16),
)
def test_round_trip(kek: bytes, key: bytes) -> None:
    assert unwrap_key(kek, wrap_key(kek, key)) == key
