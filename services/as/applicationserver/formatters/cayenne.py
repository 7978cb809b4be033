"""CayenneLPP (Cayenne Low Power Payload, IPSO-based data types) decoding and encoding.

Each item is ``channel, type, value``; sizes, signedness and resolutions per type follow the LPP table.
Keys of the decoded object are ``<name>_<channel>`` as The Things Stack writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CayenneError", "decode", "encode"]


class CayenneError(ValueError):
    """Bytes or values that are not valid CayenneLPP."""


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    size: int  # bytes per component
    signed: bool
    scale: float  # value = raw / scale
    components: tuple[str, ...] = ()  # empty: a scalar


_KINDS: dict[int, _Kind] = {
    0: _Kind("digital_in", 1, False, 1),
    1: _Kind("digital_out", 1, False, 1),
    2: _Kind("analog_in", 2, True, 100),
    3: _Kind("analog_out", 2, True, 100),
    101: _Kind("luminosity", 2, False, 1),
    102: _Kind("presence", 1, False, 1),
    103: _Kind("temperature", 2, True, 10),
    104: _Kind("relative_humidity", 1, False, 2),
    113: _Kind("accelerometer", 2, True, 1000, ("x", "y", "z")),
    115: _Kind("barometric_pressure", 2, False, 10),
    134: _Kind("gyrometer", 2, True, 100, ("x", "y", "z")),
}
_GPS = 136
_BY_NAME = {kind.name: code for code, kind in _KINDS.items()}
# A downlink value without a known name is written as an analog output, the LPP type for setpoints.
_BY_NAME["value"] = 3


def _read(data: bytes, offset: int, size: int, signed: bool) -> int:
    if offset + size > len(data):
        raise CayenneError("payload ends inside an item")
    return int.from_bytes(data[offset : offset + size], "big", signed=signed)


def _number(raw: int, scale: float) -> float | int:
    return raw if scale == 1 else round(raw / scale, 6)


def decode(data: bytes) -> dict[str, Any]:
    """Decode a CayenneLPP payload into ``{"temperature_1": 27.2, "gps_3": {...}, ...}``."""
    out: dict[str, Any] = {}
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise CayenneError("payload ends inside an item header")
        channel, code = data[offset], data[offset + 1]
        offset += 2
        if code == _GPS:
            lat, lon, alt = (_read(data, offset + 3 * i, 3, True) for i in range(3))
            out[f"gps_{channel}"] = {"latitude": lat / 10000, "longitude": lon / 10000, "altitude": alt / 100}
            offset += 9
            continue
        kind = _KINDS.get(code)
        if kind is None:
            raise CayenneError(f"unknown LPP type {code}")
        if kind.components:
            value: Any = {
                c: _number(_read(data, offset + i * kind.size, kind.size, kind.signed), kind.scale)
                for i, c in enumerate(kind.components)
            }
            offset += kind.size * len(kind.components)
        else:
            value = _number(_read(data, offset, kind.size, kind.signed), kind.scale)
            offset += kind.size
        out[f"{kind.name}_{channel}"] = value
    return out


def _write(value: Any, size: int, signed: bool, scale: float) -> bytes:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise CayenneError(f"{value!r} is not a number")
    raw = round(value * scale)
    try:
        return raw.to_bytes(size, "big", signed=signed)
    except OverflowError:
        raise CayenneError(f"{value!r} does not fit the LPP type") from None


def encode(values: Mapping[str, Any]) -> bytes:
    """Encode ``{"<name>_<channel>": value}`` items; the inverse of :func:`decode`."""
    out = bytearray()
    for key, value in values.items():
        name, _, channel_text = key.rpartition("_")
        if not channel_text.isdigit() or not 0 <= int(channel_text) <= 255:
            raise CayenneError(f"key {key!r} does not end in _<channel>")
        channel = int(channel_text)
        if name == "gps":
            if not isinstance(value, Mapping):
                raise CayenneError("gps needs latitude, longitude and altitude")
            out += bytes((channel, _GPS))
            out += _write(value.get("latitude", 0), 3, True, 10000)
            out += _write(value.get("longitude", 0), 3, True, 10000)
            out += _write(value.get("altitude", 0), 3, True, 100)
            continue
        code = _BY_NAME.get(name)
        if code is None:
            raise CayenneError(f"unknown LPP name {name!r}")
        kind = _KINDS[code]
        out += bytes((channel, code))
        if kind.components:
            if not isinstance(value, Mapping):
                raise CayenneError(f"{name} needs {', '.join(kind.components)}")
            for component in kind.components:
                out += _write(value.get(component, 0), kind.size, kind.signed, kind.scale)
        else:
            out += _write(value, kind.size, kind.signed, kind.scale)
    return bytes(out)
