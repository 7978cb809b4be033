"""JSON forms of proto scalar fields as The Things Stack writes them (proto3 JSON mapping plus hex bytes).

Bytes fields that TTS marshals with ``types.MarshalHEXBytes`` are upper-case hex; other bytes are base64.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor

__all__ = ["HEX_BYTES_FIELDS", "CodecError", "decode_scalar", "encode_scalar", "enum_of", "is_hex_field"]

# Bytes fields whose Go JSON marshaler is types.MarshalHEXBytes in The Things Stack's API protos
# (identifiers, keys, lorawan, end_device: EUIs, DevAddr, NetID, NSID, AES keys, DevNonce, JoinNonce).
# Their neighbours session_key_id, encrypted_key, frm_payload, mic, f_opts and raw_payload stay base64.
HEX_BYTES_FIELDS: frozenset[str] = frozenset(
    {
        "dev_eui",
        "join_eui",
        "dev_addr",
        "eui",
        "net_id",
        "ns_id",
        "key",
        "dev_nonce",
        "join_nonce",
    }
)

_INT64 = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
}
_INT32 = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_SFIXED32,
}
_FLOAT = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_UNSIGNED = {FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED32}
_UNSIGNED |= {FieldDescriptor.TYPE_FIXED64}
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")
_INT_TEXT = re.compile(r"^-?[0-9]+$")


class CodecError(ValueError):
    """A JSON value that does not fit its field; ``path`` names the field (dotted)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def enum_of(field: FieldDescriptor) -> EnumDescriptor:
    enum = field.enum_type
    if enum is None:
        raise TypeError(f"{field.full_name} is not an enum field")
    return enum


def is_hex_field(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_BYTES and field.name in HEX_BYTES_FIELDS


def encode_scalar(field: FieldDescriptor, value: Any) -> Any:
    """The JSON value of one non-message value of ``field``."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_ENUM:
        described = enum_of(field).values_by_number.get(value)
        return described.name if described is not None else value
    if kind in _INT64:
        return str(value)
    if kind == FieldDescriptor.TYPE_BYTES:
        if field.name in HEX_BYTES_FIELDS:
            return bytes(value).hex().upper()
        return base64.b64encode(value).decode("ascii")
    if kind in _FLOAT:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value


def _decode_int(field: FieldDescriptor, value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise CodecError(path, "expected an integer, got a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INT_TEXT.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise CodecError(path, f"expected an integer, got {_describe(value)}")
    bits = 64 if field.type in _INT64 else 32
    low, high = (0, 2**bits - 1) if field.type in _UNSIGNED else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if not low <= value <= high:
        raise CodecError(path, f"integer {value} out of range")
    return value


def _decode_float(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise CodecError(path, "expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise CodecError(path, f"expected a number, got {_describe(value)}")


def _decode_bytes(field: FieldDescriptor, value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        raise CodecError(path, f"expected a string of bytes, got {_describe(value)}")
    if field.name in HEX_BYTES_FIELDS and _HEX.match(value):
        return bytes.fromhex(value)
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        wanted = "hex or base64" if field.name in HEX_BYTES_FIELDS else "base64"
        raise CodecError(path, f"invalid {wanted} bytes {value!r}") from None


def _decode_enum(field: FieldDescriptor, value: Any, path: str) -> int:
    enum = enum_of(field)
    if isinstance(value, str):
        described = enum.values_by_name.get(value)
        if described is not None:
            return int(described.number)
        if _INT_TEXT.match(value):
            value = int(value)
        else:
            raise CodecError(path, f"unknown value {value!r} of enum {enum.full_name}")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise CodecError(path, f"expected an enum name, got {_describe(value)}")


def decode_scalar(field: FieldDescriptor, value: Any, path: str, *, from_text: bool = False) -> Any:
    """The Python value for one non-message ``field`` from JSON (or, with ``from_text``, a URL string)."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        if not isinstance(value, str):
            raise CodecError(path, f"expected a string, got {_describe(value)}")
        return value
    if kind == FieldDescriptor.TYPE_BOOL:
        if from_text and isinstance(value, str) and value in ("true", "false", "1", "0"):
            return value in ("true", "1")
        if not isinstance(value, bool):
            raise CodecError(path, f"expected a boolean, got {_describe(value)}")
        return value
    if kind in _INT32 or kind in _INT64:
        return _decode_int(field, value, path)
    if kind in _FLOAT:
        return _decode_float(value, path)
    if kind == FieldDescriptor.TYPE_BYTES:
        return _decode_bytes(field, value, path)
    if kind == FieldDescriptor.TYPE_ENUM:
        return _decode_enum(field, value, path)
    raise CodecError(path, "unsupported field type")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}
    return names.get(type(value), "an object")
