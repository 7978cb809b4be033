"""Concentrator clock unwrapping, uplink tokens, and which uplinks go to the NS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatewayserver.clock import ROLLOVER, ConcentratorClock, unwrap
from gatewayserver.uplinktoken import TokenError, UplinkToken, decode_token, encode_token
from gatewayserver.upstream import order_key, route
from lorastack.lorawan.devaddr import DevAddrPrefix
from lorastack.lorawan.netid import NetID


def test_unwrap_across_rollover() -> None:
    assert unwrap(ROLLOVER - 10, 5) == ROLLOVER + 5
    assert unwrap(ROLLOVER + 5, ROLLOVER - 10) == ROLLOVER - 10
    assert unwrap(3 * ROLLOVER + 100, 200) == 3 * ROLLOVER + 200


def test_clock_tracks_rollovers() -> None:
    clock = ConcentratorClock()
    assert clock.sync(100.0, ROLLOVER - 1_000_000) == ROLLOVER - 1_000_000
    assert clock.sync(102.0, 1_000_000) == ROLLOVER + 1_000_000
    assert clock.estimate(103.0) == ROLLOVER + 2_000_000


def test_token_round_trip() -> None:
    token = UplinkToken(
        "gtw-1",
        bytes.fromhex("0102030405060708"),
        1,
        123,
        ROLLOVER + 123,
        1_700_000_000.25,
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert decode_token(encode_token(token)) == token
    with pytest.raises(TokenError):
        decode_token(b"\xff\xff\xff")
    with pytest.raises(TokenError):
        decode_token(b"")


def _data_up(dev_addr: str, mtype: int = 2) -> bytes:
    return bytes([mtype << 5]) + bytes.fromhex(dev_addr)[::-1] + b"\x00\x01\x00" + b"\x00" * 4


def test_route() -> None:
    ttn = [NetID.from_hex("000013").dev_addr_prefix()]
    assert route(_data_up("26011234"), ttn) is None
    assert route(_data_up("26011234", mtype=4), ttn) is None
    assert route(_data_up("01011234"), ttn) == "foreign_dev_addr"
    assert route(_data_up("01011234"), [DevAddrPrefix.from_string("00000000/0")]) is None
    assert route(b"\x00" + b"\x01" * 22, ttn) is None  # join-requests always go
    assert route(b"\xc0" + b"\x01" * 18, ttn) is None  # rejoin-requests too
    assert route(b"\x60" + b"\x01" * 12, ttn) == "not_uplink"
    assert route(b"\xe0\x01", ttn) == "proprietary"
    assert route(b"\x40\x01", ttn) == "too_short"
    assert route(b"", ttn) == "empty_payload"


def test_order_key_names_the_device() -> None:
    assert order_key(_data_up("26011234")) == bytes.fromhex("34120126")
    assert order_key(_data_up("26011234", mtype=4)) == order_key(_data_up("26011234"))
    join = b"\x00" + bytes(range(1, 17)) + b"\xaa\xbb" + b"\x00" * 4
    assert order_key(join) == bytes(range(1, 17))  # JoinEUI and DevEUI, not the DevNonce
    rejoin0 = b"\xc0\x00" + bytes(range(11)) + b"\x01\x00" + b"\x00" * 4
    assert order_key(rejoin0) == b"\x00" + bytes(range(11))  # type, NetID, DevEUI; not RJcount0
    assert order_key(b"") == b""
