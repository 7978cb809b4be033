"""LoRa Basics Station LNS protocol messages from the station's side (Basics Station documentation,
"The LNS Protocol": version, updf, jreq, propdf, dntxed, timesync; and dnmsg as received). Sans-I/O."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from lorastack.lorawan import DecodeError, JoinRequestPayload, MACPayload, MType, decode_phy_payload

__all__ = ["DnMsg", "StationCodecError", "format_eui", "parse_dnmsg", "uplink_message", "version_message"]

_INT32 = struct.Struct("<i")


class StationCodecError(ValueError):
    pass


def format_eui(eui: bytes) -> str:
    """EUIs in LNS messages are written as dash-separated hex octets."""
    return "-".join(f"{octet:02X}" for octet in eui)


def _s4(raw: bytes) -> int:
    # DevAddr and MIC travel as signed 32-bit integers of their little-endian bytes.
    value: int = _INT32.unpack(raw)[0]
    return value


def version_message(*, station: str, firmware: str, model: str) -> dict[str, Any]:
    return {
        "msgtype": "version",
        "station": station,
        "firmware": firmware,
        "package": firmware,
        "model": model,
        "protocol": 2,
        "features": "",
    }


def uplink_message(frame: bytes, radio: dict[str, Any]) -> dict[str, Any]:
    """A frame taken apart into a ``jreq``/``updf`` (``propdf`` for anything else) plus radio fields."""
    try:
        phy = decode_phy_payload(frame)
    except DecodeError:
        phy = None
    body: dict[str, Any]
    if phy is not None and phy.mhdr.mtype == MType.JOIN_REQUEST and isinstance(phy.payload, JoinRequestPayload):
        join = phy.payload
        body = {
            "msgtype": "jreq",
            "MHdr": frame[0],
            "JoinEui": format_eui(join.join_eui.value),
            "DevEui": format_eui(join.dev_eui.value),
            "DevNonce": int.from_bytes(frame[17:19], "little"),
            "MIC": _s4(frame[-4:]),
        }
    elif phy is not None and phy.mhdr.mtype.is_data and isinstance(phy.payload, MACPayload):
        mac = phy.payload
        body = {
            "msgtype": "updf",
            "MHdr": frame[0],
            "DevAddr": _s4(frame[1:5]),
            "FCtrl": frame[5],
            "FCnt": mac.fhdr.f_cnt,
            "FOpts": mac.fhdr.f_opts.hex().upper(),
            "FPort": -1 if mac.f_port is None else mac.f_port,
            "FRMPayload": mac.frm_payload.hex().upper(),
            "MIC": _s4(frame[-4:]),
        }
    else:
        body = {"msgtype": "propdf", "FRMPayload": frame.hex().upper()}
    body.update(radio)
    return body


@dataclass(frozen=True, slots=True)
class DnMsg:
    """Where and when a ``dnmsg`` asks to transmit; ``xtime`` None means immediately (class C)."""

    pdu: bytes
    diid: int
    dev_eui: str
    xtime: int | None
    frequency: int
    data_rate: int
    rctx: int


def parse_dnmsg(body: dict[str, Any]) -> DnMsg:
    """Class A (``dC`` 0) goes out in RX1 at ``xtime`` + RxDelay seconds, or RX2 one second later when
    RX1 is not given; class C (``dC`` 2) on the RX2 settings at once unless an ``xtime`` is set."""
    try:
        pdu = bytes.fromhex(body["pdu"])
        diid = int(body.get("diid", 0))
        device_class = int(body.get("dC", 0))
        xtime = body.get("xtime")
        delay = int(body.get("RxDelay", 1)) or 1
        if "RX1Freq" in body and device_class != 2:
            frequency, data_rate, offset = int(body["RX1Freq"]), int(body["RX1DR"]), delay
        else:
            frequency, data_rate, offset = int(body["RX2Freq"]), int(body["RX2DR"]), delay + 1
    except (KeyError, TypeError, ValueError):
        raise StationCodecError("dnmsg lacks pdu or window settings") from None
    if xtime is not None and not isinstance(xtime, int):
        raise StationCodecError("dnmsg xtime")
    at = None
    if xtime is not None:
        at = xtime if device_class == 2 else xtime + offset * 1_000_000
    return DnMsg(pdu, diid, str(body.get("DevEui", "")), at, frequency, data_rate, int(body.get("rctx", 0)))
