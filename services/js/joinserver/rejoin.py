"""Rejoin-requests of LoRaWAN 1.1 devices (section 6.2.4): parsing, finding the device, the MIC.

Type 1 carries the JoinEUI and is signed with JSIntKey, which the Join Server checks. Types 0 and 2
carry only NetID and DevEUI and are signed with the session's SNwkSIntKey: the Network Server checks
that MIC (it knows which session the device uses) before forwarding, so the Join Server finds the
device by DevEUI and does not check it again (the Join Server of brocaar/lorawan does the same).
"""

from __future__ import annotations

from dataclasses import dataclass

from joinserver import errors
from joinserver.config import JoinPrefix
from joinserver.request import AcceptSettings, covers, eui_name, lorawan_1_1_of, parse_accept_settings
from joinserver.store import DeviceRegistry
from lorastack.lorawan.crypto import derive_js_int_key, mic_equal, rejoin_request_mic
from lorastack.lorawan.eui import EUI64
from lorastack.lorawan.join import RejoinRequest02Payload, RejoinRequest1Payload
from lorastack.lorawan.keys import AES128Key
from lorastack.lorawan.phy_payload import PHYPayload
from ttn.lorawan.v3 import end_device_pb2, join_pb2, lorawan_pb2

__all__ = ["ParsedRejoin", "find_rejoining_device", "parse_rejoin_request", "verify_rejoin_mic"]


@dataclass(frozen=True, slots=True)
class ParsedRejoin:
    """A rejoin-request; ``join_eui`` is empty for types 0 and 2."""

    rejoin_type: int
    join_eui: bytes
    dev_eui: bytes
    rj_count: int
    signed: bytes
    mic: bytes
    settings: AcceptSettings


def parse_rejoin_request(req: join_pb2.JoinRequest, phy: PHYPayload) -> ParsedRejoin:
    payload = phy.payload
    if not isinstance(payload, RejoinRequest02Payload | RejoinRequest1Payload):
        raise errors.payload_type(mtype=phy.mhdr.mtype.name.lower())
    if not lorawan_1_1_of(req):
        # Rejoin-requests exist from LoRaWAN 1.1 on.
        raise errors.unsupported_lorawan_version(version=lorawan_pb2.MACVersion.Name(req.selected_mac_version))
    if payload.dev_eui.value == bytes(8):
        raise errors.invalid_field(field="dev_eui", reason="must not be zero")
    if isinstance(payload, RejoinRequest1Payload):
        join_eui, rj_count = payload.join_eui.value, payload.rj_count1
    else:
        join_eui, rj_count = b"", payload.rj_count0
    return ParsedRejoin(
        rejoin_type=payload.rejoin_type,
        join_eui=join_eui,
        dev_eui=payload.dev_eui.value,
        rj_count=rj_count,
        signed=req.raw_payload[:-4],
        mic=phy.mic,
        settings=parse_accept_settings(req, lorawan_1_1=True),
    )


async def find_rejoining_device(
    devices: DeviceRegistry, prefixes: tuple[JoinPrefix, ...], parsed: ParsedRejoin
) -> end_device_pb2.EndDevice:
    """The device a rejoin-request comes from; the JoinEUI prefix check applies to its JoinEUI."""
    if parsed.join_eui:
        if not covers(prefixes, parsed.join_eui):
            raise errors.unknown_join_eui(join_eui=parsed.join_eui.hex().upper())
        device = await devices.get_by_eui(parsed.join_eui, parsed.dev_eui)
        if device is None:
            raise errors.device_not_found(device=eui_name(parsed.join_eui, parsed.dev_eui))
        return device
    candidates = [d for d in await devices.get_by_dev_eui(parsed.dev_eui) if covers(prefixes, d.ids.join_eui)]
    if not candidates:
        raise errors.device_not_found(device=eui_name(bytes(8), parsed.dev_eui))
    if len(candidates) > 1:
        raise errors.ambiguous_dev_eui(dev_eui=parsed.dev_eui.hex().upper())
    return candidates[0]


def verify_rejoin_mic(parsed: ParsedRejoin, nwk_key: bytes) -> None:
    """Type 1: CMAC under JSIntKey over MHDR | payload (1.1 section 6.2.4.4)."""
    if parsed.rejoin_type != 1:
        return
    js_int_key = derive_js_int_key(AES128Key(nwk_key), EUI64(parsed.dev_eui))
    if not mic_equal(rejoin_request_mic(js_int_key, parsed.signed), parsed.mic):
        raise errors.mic_mismatch()
