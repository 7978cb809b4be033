"""EUI64, DevAddr, NetID, DevNonce, JoinNonce and AES128Key value types."""

from __future__ import annotations

import pytest

from lorastack.lorawan import (
    EUI64,
    AES128Key,
    DecodeError,
    DevAddr,
    DevAddrPrefix,
    DevNonce,
    EncodeError,
    JoinNonce,
    LoRaWANError,
    NetID,
)

# chirpstack/chirpstack lrwn/src/netid.rs tests: NetID, type, ID, DevAddr prefix.
NETID_VECTORS = [
    ("00006D", 0, 0x2D, "5A000000/7"),
    ("20006D", 1, 0x2D, "AD000000/8"),
    ("40036D", 2, 0x16D, "D6D00000/12"),
    ("76DB6D", 3, 0x16DB6D, "E6DA0000/15"),
    ("96DB6D", 4, 0x16DB6D, "F5B68000/17"),
    ("B6DB6D", 5, 0x16DB6D, "FB6DA000/19"),
    ("D6DB6D", 6, 0x16DB6D, "FD6DB400/22"),
    ("F6DB6D", 7, 0x16DB6D, "FE6DB680/25"),
]


@pytest.mark.parametrize(("hex_id", "net_type", "net_id_id", "prefix"), NETID_VECTORS)
def test_netid(hex_id: str, net_type: int, net_id_id: int, prefix: str) -> None:
    net_id = NetID.from_hex(hex_id.lower())
    assert str(net_id) == hex_id
    assert net_id.type == net_type
    assert net_id.id == net_id_id
    assert str(net_id.dev_addr_prefix()) == prefix
    # chirpstack netid.rs: the little-endian wire form is the reverse.
    assert net_id.to_le() == bytes.fromhex(hex_id)[::-1]
    assert NetID.from_le(net_id.to_le()) == net_id


def test_devaddr_type_and_nwkid() -> None:
    # chirpstack/chirpstack lrwn/src/devaddr.rs tests: 5bffffff is type 0 with NwkID 0x2d.
    addr = DevAddr.from_hex("5bffffff")
    assert addr.type == 0
    assert addr.nwk_id == 0x2D
    assert addr.to_le() == bytes.fromhex("ffffff5b")
    assert str(addr) == "5BFFFFFF"


@pytest.mark.parametrize(
    ("addr", "net_id", "expected"),
    [
        # chirpstack lrwn/src/devaddr.rs test_dev_addr_set_addr_prefix.
        ("FFFFFFFF", "000000", "01FFFFFF"),
        ("FFFFFFFF", "00003F", "7FFFFFFF"),
    ],
)
def test_devaddr_with_prefix(addr: str, net_id: str, expected: str) -> None:
    result = DevAddr.from_hex(addr).with_prefix(NetID.from_hex(net_id).dev_addr_prefix())
    assert str(result) == expected
    assert result.is_net_id(NetID.from_hex(net_id))
    assert not DevAddr.from_hex(addr).is_net_id(NetID.from_hex(net_id))


def test_devaddr_every_type_round_trips_through_its_netid() -> None:
    # Backend Interfaces 1.0 section 13: type n starts with n ones then a zero.
    for hex_id, net_type, _, _ in NETID_VECTORS:
        net_id = NetID.from_hex(hex_id)
        addr = DevAddr.from_int(0x12345678).with_prefix(net_id.dev_addr_prefix())
        assert addr.type == net_type
        assert addr.nwk_id == net_id.nwk_id


def test_devaddr_without_type_prefix() -> None:
    with pytest.raises(LoRaWANError):
        _ = DevAddr.from_hex("FF000000").type


def test_prefix_parse() -> None:
    prefix = DevAddrPrefix.from_string("26000000/7")
    assert prefix.matches(DevAddr.from_hex("27FFFFFF"))
    assert not prefix.matches(DevAddr.from_hex("28000000"))
    with pytest.raises(DecodeError):
        DevAddrPrefix.from_string("26000000")


def test_hex_forms() -> None:
    eui = EUI64.from_hex("70-b3-d5-7e-d0-00-00-01")
    assert str(eui) == "70B3D57ED0000001"
    assert int(eui) == 0x70B3D57ED0000001
    assert EUI64.from_int(int(eui)) == eui
    assert str(DevNonce.from_hex("0102")) == "0102"
    assert JoinNonce.from_int(65793).value == b"\x01\x01\x01"
    with pytest.raises(DecodeError):
        EUI64.from_hex("zz" * 8)
    with pytest.raises(DecodeError):
        EUI64.from_hex("0102")
    with pytest.raises(EncodeError):
        EUI64(b"\x00")
    with pytest.raises(DecodeError):
        EUI64.from_le(b"\x00" * 7)


def test_types_do_not_compare_equal_across_kinds() -> None:
    assert DevAddr(b"\x01\x02\x03\x04") != NetID(b"\x01\x02\x03")
    assert EUI64(b"\x00" * 8) == EUI64(b"\x00" * 8)
    assert len({EUI64(b"\x00" * 8), EUI64(b"\x00" * 8)}) == 1


def test_key_repr_hides_key() -> None:
    key = AES128Key.from_hex("2B7E151628AED2A6ABF7158809CF4F3C")
    assert "2B7E" not in repr(key)
    assert str(key) == "2B7E151628AED2A6ABF7158809CF4F3C"
