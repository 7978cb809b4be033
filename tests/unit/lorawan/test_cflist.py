"""CFList encode/decode and the 3-byte frequency field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan import CFListChannelMasks, CFListFrequencies, DecodeError, EncodeError, decode_cflist
from lorastack.lorawan.frequency import decode_frequency, encode_frequency

# chirpstack/chirpstack lrwn/src/cflist.rs tests.
VECTORS = [
    (CFListChannelMasks((0x00FF,)), "ff000000000000000000000000000001"),
    (CFListChannelMasks((0x0000, 0x00FF)), "0000ff00000000000000000000000001"),
    (
        CFListFrequencies((867100000, 867300000, 867500000, 867700000, 867900000)),
        "184f84e85684b85e8488668458 6e8400".replace(" ", ""),
    ),
]


@pytest.mark.parametrize(("cflist", "hex_bytes"), VECTORS)
def test_vectors(cflist: CFListChannelMasks | CFListFrequencies, hex_bytes: str) -> None:
    assert cflist.encode().hex() == hex_bytes
    assert decode_cflist(bytes.fromhex(hex_bytes)) == cflist


def test_errors() -> None:
    with pytest.raises(DecodeError) as info:
        decode_cflist(b"\x00" * 15 + b"\x07")
    assert info.value.offset == 15
    with pytest.raises(DecodeError):
        decode_cflist(b"\x00" * 10)
    with pytest.raises(EncodeError):
        CFListFrequencies((868_100_050,)).encode()
    with pytest.raises(EncodeError):
        CFListChannelMasks((0,) * 8).encode()


def test_frequency_field() -> None:
    # chirpstack lrwn/src/maccommand.rs tests: 868.1 MHz and the 2.4 GHz (200 Hz step) encoding.
    assert encode_frequency(868_100_000) == bytes((0x28, 0x76, 0x84))
    assert encode_frequency(2_410_000_000) == bytes((80, 222, 183))
    assert decode_frequency(bytes((80, 222, 183)), 0) == 2_410_000_000
    with pytest.raises(EncodeError):
        encode_frequency(1_900_000_000)


@settings(deadline=None, max_examples=200)
@given(st.binary(min_size=16, max_size=16))
def test_decode_encode_round_trip(data: bytes) -> None:
    try:
        cflist = decode_cflist(data)
    except DecodeError:
        assert data[15] > 1
        return
    assert decode_cflist(cflist.encode()) == cflist
