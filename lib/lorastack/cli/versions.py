"""LoRaWAN and Regional Parameters versions as operators write them (``1.0.3``, ``1.0.2-b``, ``rp002-1.0.3``)
and the PHY version that goes with each MAC version by default (LoRaWAN Regional Parameters editions)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ttn.lorawan.v3 import lorawan_pb2

__all__ = ["DEFAULT_PHY", "is_lorawan_1_1", "mac_version", "phy_version"]

_MAC: Mapping[str, int] = {
    "1.0": lorawan_pb2.MAC_V1_0,
    "1.0.0": lorawan_pb2.MAC_V1_0,
    "1.0.1": lorawan_pb2.MAC_V1_0_1,
    "1.0.2": lorawan_pb2.MAC_V1_0_2,
    "1.0.3": lorawan_pb2.MAC_V1_0_3,
    "1.0.4": lorawan_pb2.MAC_V1_0_4,
    "1.1": lorawan_pb2.MAC_V1_1,
    "1.1.0": lorawan_pb2.MAC_V1_1,
}
_PHY: Mapping[str, int] = {
    "1.0": lorawan_pb2.PHY_V1_0,
    "1.0.0": lorawan_pb2.PHY_V1_0,
    "1.0.1": lorawan_pb2.PHY_V1_0_1,
    "1.0.2-a": lorawan_pb2.PHY_V1_0_2_REV_A,
    "1.0.2-b": lorawan_pb2.PHY_V1_0_2_REV_B,
    "1.0.3-a": lorawan_pb2.PHY_V1_0_3_REV_A,
    "1.1-a": lorawan_pb2.PHY_V1_1_REV_A,
    "1.1-b": lorawan_pb2.PHY_V1_1_REV_B,
    "rp002-1.0.0": lorawan_pb2.RP002_V1_0_0,
    "rp002-1.0.1": lorawan_pb2.RP002_V1_0_1,
    "rp002-1.0.2": lorawan_pb2.RP002_V1_0_2,
    "rp002-1.0.3": lorawan_pb2.RP002_V1_0_3,
    "rp002-1.0.4": lorawan_pb2.RP002_V1_0_4,
}
# The newest regional parameters each MAC version was published with: 1.0.4 and 1.1 devices
# certified today follow RP002, older ones the RP001 edition of their time.
DEFAULT_PHY: dict[int, int] = {
    lorawan_pb2.MAC_V1_0: lorawan_pb2.PHY_V1_0,
    lorawan_pb2.MAC_V1_0_1: lorawan_pb2.PHY_V1_0_1,
    lorawan_pb2.MAC_V1_0_2: lorawan_pb2.PHY_V1_0_2_REV_B,
    lorawan_pb2.MAC_V1_0_3: lorawan_pb2.PHY_V1_0_3_REV_A,
    lorawan_pb2.MAC_V1_0_4: lorawan_pb2.RP002_V1_0_3,
    lorawan_pb2.MAC_V1_1: lorawan_pb2.PHY_V1_1_REV_B,
}


def _lookup(text: str, table: Mapping[str, int], enum: object, kind: str) -> int:
    key = text.strip().lower().removeprefix("v")
    if key in table:
        return table[key]
    try:
        return int(enum.Value(text.strip().upper()))  # type: ignore[attr-defined]
    except ValueError:
        choices = ", ".join(table)
        raise argparse.ArgumentTypeError(f"unknown {kind} version {text!r} (one of {choices})") from None


def mac_version(text: str) -> int:
    """``1.0.3`` or ``MAC_V1_0_3`` to the MACVersion value."""
    return _lookup(text, _MAC, lorawan_pb2.MACVersion, "LoRaWAN")


def phy_version(text: str) -> int:
    """``1.0.3-a``, ``rp002-1.0.3`` or an enum name to the PHYVersion value."""
    return _lookup(text, _PHY, lorawan_pb2.PHYVersion, "regional parameters")


def is_lorawan_1_1(version: int) -> bool:
    return version == lorawan_pb2.MAC_V1_1
