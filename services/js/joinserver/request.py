"""The parts of an NsJs.HandleJoin request shared by join- and rejoin-requests: the decoded frame and
the Network Server's choices for the join-accept (NetID, DevAddr, DLSettings, RxDelay, CFList).
"""

from __future__ import annotations

from dataclasses import dataclass

from joinserver import errors
from joinserver.config import JoinPrefix
from lorastack.lorawan.errors import DecodeError
from lorastack.lorawan.join import DLSettings
from lorastack.lorawan.phy_payload import PHYPayload, decode_phy_payload
from ttn.lorawan.v3 import join_pb2, lorawan_pb2

__all__ = ["AcceptSettings", "covers", "decode_request", "eui_name", "lorawan_1_1_of", "parse_accept_settings"]

_VERSIONS_1_0 = frozenset(
    {
        lorawan_pb2.MAC_V1_0,
        lorawan_pb2.MAC_V1_0_1,
        lorawan_pb2.MAC_V1_0_2,
        lorawan_pb2.MAC_V1_0_3,
        lorawan_pb2.MAC_V1_0_4,
    }
)


@dataclass(frozen=True, slots=True)
class AcceptSettings:
    """What the NS asks the join-accept to carry."""

    net_id: bytes
    dev_addr: bytes
    dl_settings: DLSettings
    rx_delay: int
    cflist_request: lorawan_pb2.CFList | None


def covers(prefixes: tuple[JoinPrefix, ...], join_eui: bytes) -> bool:
    """Whether one of ``prefixes`` covers ``join_eui``."""
    value = int.from_bytes(join_eui, "big")
    for prefix in prefixes:
        shift = 64 - prefix.length
        if value >> shift == int.from_bytes(prefix.join_eui, "big") >> shift:
            return True
    return False


def eui_name(join_eui: bytes, dev_eui: bytes) -> str:
    return f"{join_eui.hex().upper()}/{dev_eui.hex().upper()}"


def decode_request(req: join_pb2.JoinRequest) -> PHYPayload:
    if not req.raw_payload:
        raise errors.payload_missing()
    try:
        return decode_phy_payload(req.raw_payload)
    except DecodeError as err:
        raise errors.payload_decode(reason=str(err)) from None


def lorawan_1_1_of(req: join_pb2.JoinRequest) -> bool:
    """The NS's selected MAC version: True for 1.1, False for 1.0.x, refused otherwise."""
    if req.selected_mac_version == lorawan_pb2.MAC_V1_1:
        return True
    if req.selected_mac_version in _VERSIONS_1_0:
        return False
    raise errors.unsupported_lorawan_version(version=lorawan_pb2.MACVersion.Name(req.selected_mac_version))


def parse_accept_settings(req: join_pb2.JoinRequest, *, lorawan_1_1: bool) -> AcceptSettings:
    if len(req.net_id) != 3:
        raise errors.invalid_field(field="net_id", reason="want 3 bytes")
    if len(req.dev_addr) != 4:
        raise errors.invalid_field(field="dev_addr", reason="want 4 bytes")
    settings = req.downlink_settings
    if settings.rx1_dr_offset > 7 or settings.rx2_dr > 15:
        raise errors.invalid_field(field="downlink_settings", reason="out of range")
    if not 0 <= req.rx_delay <= 0xFF:
        raise errors.invalid_field(field="rx_delay", reason="out of range")
    return AcceptSettings(
        net_id=req.net_id,
        dev_addr=req.dev_addr,
        # OptNeg tells the device that the network speaks 1.1, which decides MIC and key derivation.
        dl_settings=DLSettings(settings.rx1_dr_offset, settings.rx2_dr, lorawan_1_1),
        rx_delay=int(req.rx_delay),
        cflist_request=req.cf_list if req.HasField("cf_list") else None,
    )
