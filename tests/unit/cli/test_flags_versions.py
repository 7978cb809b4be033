"""Flag parsing shared by the command groups: hex, key=value, rights switches, LoRaWAN versions, --cluster."""

from __future__ import annotations

import argparse

import pytest

from lorastack.cli import flags
from lorastack.cli.config import CliConfig
from lorastack.cli.login import addresses_from
from lorastack.cli.versions import DEFAULT_PHY, mac_version, phy_version
from ttn.lorawan.v3 import lorawan_pb2, rights_pb2


@pytest.mark.parametrize("text", ["70B3D57ED0000001", "70:b3:d5:7e:d0:00:00:01", "70-B3-D5-7E-D0-00-00-01"])
def test_eui_spellings(text: str) -> None:
    assert flags.hex_bytes(8)(text) == bytes.fromhex("70B3D57ED0000001")


@pytest.mark.parametrize("text", ["70B3", "zz" * 8, "70B3D57ED000000102"])
def test_bad_hex_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        flags.hex_bytes(8)(text)


def test_key_value() -> None:
    assert flags.key_value("site=lab=2") == ("site", "lab=2")
    with pytest.raises(argparse.ArgumentTypeError):
        flags.key_value("novalue")


def test_rights_switches_for_an_entity_kind() -> None:
    parser = argparse.ArgumentParser()
    flags.add_rights_flags(parser, ["application"])
    args = parser.parse_args(["--right-application-all", "--right-application-devices-read"])
    assert flags.rights_of(args) == sorted(
        [rights_pb2.RIGHT_APPLICATION_ALL, rights_pb2.RIGHT_APPLICATION_DEVICES_READ]
    )
    assert flags.rights_of(parser.parse_args([])) == []
    assert parser.parse_args(["--right-all"]) is not None
    with pytest.raises(SystemExit):
        parser.parse_args(["--right-gateway-all"])  # not a right of this kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.0", lorawan_pb2.MAC_V1_0),
        ("1.0.3", lorawan_pb2.MAC_V1_0_3),
        ("v1.0.4", lorawan_pb2.MAC_V1_0_4),
        ("1.1", lorawan_pb2.MAC_V1_1),
        ("MAC_V1_0_2", lorawan_pb2.MAC_V1_0_2),
    ],
)
def test_mac_versions(text: str, expected: int) -> None:
    assert mac_version(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.0.2-b", lorawan_pb2.PHY_V1_0_2_REV_B),
        ("1.1-a", lorawan_pb2.PHY_V1_1_REV_A),
        ("rp002-1.0.3", lorawan_pb2.RP002_V1_0_3),
        ("PHY_V1_0_3_REV_A", lorawan_pb2.PHY_V1_0_3_REV_A),
    ],
)
def test_phy_versions(text: str, expected: int) -> None:
    assert phy_version(text) == expected


def test_unknown_versions_name_the_choices() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"1\.0\.3"):
        mac_version("2.0")
    with pytest.raises(argparse.ArgumentTypeError):
        phy_version("1.0.9")


def test_every_mac_version_has_a_default_phy() -> None:
    known = [v.number for v in lorawan_pb2.MACVersion.DESCRIPTOR.values if v.number]
    assert sorted(DEFAULT_PHY) == sorted(known)


def _login_args(**given: str | None) -> argparse.Namespace:
    values: dict[str, str | None] = {"cluster": None, **{f"{r}_address": None for r in ("is", "gs", "ns", "as", "js")}}
    values.update(given)
    return argparse.Namespace(**values)


def test_cluster_moves_the_local_port_layout() -> None:
    addresses = addresses_from(_login_args(cluster="lns.example:11884"), CliConfig())
    assert addresses == {
        "is": "lns.example:11884",
        "gs": "lns.example:12884",
        "ns": "lns.example:13884",
        "as": "lns.example:14884",
        "js": "lns.example:15884",
    }


def test_per_role_addresses_override_the_cluster() -> None:
    addresses = addresses_from(_login_args(cluster="h:1884", ns_address="ns:9"), CliConfig())
    assert addresses["ns"] == "ns:9" and addresses["as"] == "h:4884"
