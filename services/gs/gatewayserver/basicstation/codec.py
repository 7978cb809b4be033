"""LoRa Basics Station LNS protocol messages (Semtech Basics Station docs, "The LNS Protocol").

Sans-I/O: EUI/ID6 notation, the upstream ``updf``/``jreq``/``propdf``/``dntxed``/``timesync``/``version``
messages turned back into LoRaWAN frames (LoRaWAN 1.1 section 4), and downstream ``dnmsg``/``timesync``.
``xtime`` carries a 16-bit session id above a 48-bit microsecond concentrator counter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GPS_UNIX_OFFSET",
    "LEAP_SECONDS",
    "BsCodecError",
    "RadioInfo",
    "Upstream",
    "format_id6",
    "gps_time_us",
    "parse_eui",
    "parse_message",
    "radio_info",
    "uplink_frame",
]

# GPS time started 1980-01-06 and does not count the 18 leap seconds added to UTC since.
GPS_UNIX_OFFSET = 315_964_800
LEAP_SECONDS = 18
XTIME_MASK = (1 << 48) - 1

_DASHED = re.compile(r"^[0-9a-fA-F]{2}([-:])(?:[0-9a-fA-F]{2}\1){6}[0-9a-fA-F]{2}$")
_ID6 = re.compile(r"^(?:[a-z]+-)?([0-9a-fA-F:]*)$")


class BsCodecError(ValueError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def parse_eui(value: object) -> bytes:
    """An EUI written as an integer, ``AA-BB-..``/``AA:BB:..``, 16 hex digits or ID6 (``b827:ebff:fe61:51e5``)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 64:
        return value.to_bytes(8, "big")
    if not isinstance(value, str):
        raise BsCodecError("invalid_eui", repr(value)[:40])
    text = value.strip()
    if _DASHED.match(text):
        return bytes.fromhex(text.replace("-", "").replace(":", ""))
    if len(text) == 16 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    match = _ID6.match(text)
    if match is None or match[1].count("::") > 1:
        raise BsCodecError("invalid_eui", text[:40])
    head, sep, tail = match[1].partition("::")
    first = [g for g in head.split(":") if g] if head else []
    last = [g for g in tail.split(":") if g] if tail else []
    if not sep and len(first) != 4:
        raise BsCodecError("invalid_eui", text[:40])
    groups = first + ["0"] * (4 - len(first) - len(last)) + last
    if len(groups) != 4 or any(len(g) > 4 for g in groups):
        raise BsCodecError("invalid_eui", text[:40])
    return b"".join(int(g, 16).to_bytes(2, "big") for g in groups)


def format_id6(eui: bytes) -> str:
    """ID6 with the longest run of zero groups written as ``::`` (like IPv6)."""
    groups = [int.from_bytes(eui[i : i + 2], "big") for i in range(0, 8, 2)]
    if not any(groups):
        return "::0"
    best_start, best_len = -1, 0
    index = 0
    while index < 4:
        if groups[index] == 0:
            end = index
            while end < 4 and groups[end] == 0:
                end += 1
            if end - index > best_len:
                best_start, best_len = index, end - index
            index = end
        else:
            index += 1
    parts = [f"{g:x}" for g in groups]
    if best_len >= 2:
        return ":".join(parts[:best_start]) + "::" + ":".join(parts[best_start + best_len :])
    return ":".join(parts)


def gps_time_us(unix_seconds: float) -> int:
    return round((unix_seconds - GPS_UNIX_OFFSET + LEAP_SECONDS) * 1_000_000)


@dataclass(frozen=True, slots=True)
class RadioInfo:
    data_rate: int
    frequency: int
    xtime: int
    rctx: int
    rssi: float
    snr: float
    gps_time_us: int = 0
    rx_time: float = 0.0


@dataclass(frozen=True, slots=True)
class Upstream:
    msgtype: str
    body: dict[str, Any]


def parse_message(text: str | bytes) -> Upstream:
    try:
        body = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BsCodecError("invalid_json") from None
    if not isinstance(body, dict):
        raise BsCodecError("invalid_json", "not an object")
    msgtype = body.get("msgtype")
    if not isinstance(msgtype, str):
        raise BsCodecError("missing_msgtype")
    return Upstream(msgtype, body)


def _int(body: dict[str, Any], *names: str, default: int | None = None) -> int:
    for name in names:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    if default is not None:
        return default
    raise BsCodecError("invalid_field", names[0])


def _float(body: dict[str, Any], name: str, default: float = 0.0) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BsCodecError("invalid_field", name)
    return float(value)


def _hex(body: dict[str, Any], name: str) -> bytes:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BsCodecError("invalid_field", name)
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise BsCodecError("invalid_field", name) from None


def radio_info(body: dict[str, Any]) -> RadioInfo:
    upinfo = body.get("upinfo")
    if not isinstance(upinfo, dict):
        raise BsCodecError("invalid_field", "upinfo")
    return RadioInfo(
        data_rate=_int(body, "DR"),
        frequency=_int(body, "Freq"),
        xtime=_int(upinfo, "xtime"),
        rctx=_int(upinfo, "rctx", default=0),
        rssi=_float(upinfo, "rssi"),
        snr=_float(upinfo, "snr"),
        gps_time_us=_int(upinfo, "gpstime", default=0),
        rx_time=_float(upinfo, "rxtime"),
    )


def _le(value: int, size: int) -> bytes:
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def uplink_frame(message: Upstream) -> bytes:
    """The PHYPayload the station took apart into ``updf``, ``jreq`` or ``propdf`` fields."""
    body = message.body
    if message.msgtype == "jreq":
        return (
            bytes([_int(body, "MHdr") & 0xFF])
            + parse_eui(body.get("JoinEui", body.get("JoinEUI")))[::-1]
            + parse_eui(body.get("DevEui", body.get("DevEUI")))[::-1]
            + _le(_int(body, "DevNonce"), 2)
            + _le(_int(body, "MIC"), 4)
        )
    if message.msgtype == "updf":
        f_opts = _hex(body, "FOpts")
        if len(f_opts) > 15:
            raise BsCodecError("invalid_field", "FOpts")
        f_port = _int(body, "FPort", default=-1)
        return (
            bytes([_int(body, "MHdr") & 0xFF])
            + _le(_int(body, "DevAddr"), 4)
            # FOptsLen is rebuilt from FOpts: stations disagree on whether FCtrl includes it.
            + bytes([(_int(body, "FCtrl") & 0xF0) | len(f_opts)])
            + _le(_int(body, "FCnt", "Fcnt"), 2)
            + f_opts
            + (bytes([f_port & 0xFF]) if f_port >= 0 else b"")
            + _hex(body, "FRMPayload")
            + _le(_int(body, "MIC"), 4)
        )
    if message.msgtype == "propdf":
        return _hex(body, "FRMPayload")
    raise BsCodecError("not_an_uplink", message.msgtype)
