"""Messages to and from JSON as The Things Stack's API writes them (proto3 JSON mapping, snake_case names).

Differences from google.protobuf.json_format: proto field names, hex bytes for EUIs and keys, FieldMask
written as {"paths": [...]}, and unknown fields rejected with the dotted path of the offender.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from lorastack.httpapi.scalars import CodecError, decode_scalar, encode_scalar

__all__ = ["CodecError", "descriptor_of", "from_json", "merge_json", "to_json"]

_TIME_LIKE = {"google.protobuf.Timestamp", "google.protobuf.Duration"}
_STRUCT_LIKE = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
_WRAPPERS = {f"google.protobuf.{n}Value" for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool")} | {
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}
_FIELD_MASK = "google.protobuf.FieldMask"
_ANY = "google.protobuf.Any"


def descriptor_of(message: Message) -> Descriptor:
    return cast(Descriptor, message.DESCRIPTOR)


def _entry(field: FieldDescriptor) -> Descriptor:
    entry = field.message_type
    if entry is None:
        raise TypeError(f"{field.full_name} is not a message field")
    return entry


def _is_map(field: FieldDescriptor) -> bool:
    entry = field.message_type
    return bool(field.is_repeated and entry is not None and entry.GetOptions().map_entry)


def to_json(message: Message) -> Any:
    """The JSON value (dict for most messages) of ``message``; zero values are left out."""
    name = descriptor_of(message).full_name
    if name in _TIME_LIKE:
        return message.ToJsonString()  # type: ignore[attr-defined]
    if name in _STRUCT_LIKE:
        return json_format.MessageToDict(message)
    if name in _WRAPPERS:
        field = descriptor_of(message).fields_by_name["value"]
        return encode_scalar(field, getattr(message, "value"))  # noqa: B009
    if name == _FIELD_MASK:
        return {"paths": list(getattr(message, "paths"))}  # noqa: B009
    if name == _ANY:
        return _any_to_json(message)
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        out[field.name] = _field_to_json(field, value)
    return out


def _value_to_json(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        return to_json(value)
    return encode_scalar(field, value)


def _field_to_json(field: FieldDescriptor, value: Any) -> Any:
    if _is_map(field):
        value_field = _entry(field).fields_by_name["value"]
        return {_map_key(k): _value_to_json(value_field, v) for k, v in value.items()}
    if field.is_repeated:
        return [_value_to_json(field, v) for v in value]
    return _value_to_json(field, value)


def _map_key(key: Any) -> str:
    return str(key).lower() if isinstance(key, bool) else str(key)


def _any_to_json(message: Message) -> Any:
    type_url: str = getattr(message, "type_url")  # noqa: B009
    payload: bytes = getattr(message, "value")  # noqa: B009
    if not type_url:
        return {}
    pool = descriptor_of(message).file.pool
    try:
        inner_descriptor = pool.FindMessageTypeByName(type_url.rsplit("/", 1)[-1])
    except KeyError:
        return {"@type": type_url, "value": base64.b64encode(payload).decode("ascii")}
    inner = GetMessageClass(inner_descriptor).FromString(payload)
    encoded = to_json(inner)
    if isinstance(encoded, dict) and inner_descriptor.full_name not in _STRUCT_LIKE | {_FIELD_MASK}:
        return {"@type": type_url, **encoded}
    return {"@type": type_url, "value": encoded}


def from_json(cls: type[Message], value: Any, path: str = "") -> Message:
    """A new ``cls`` message from a JSON value; :class:`CodecError` names the first bad field."""
    message = cls()
    merge_json(message, value, path)
    return message


def merge_json(message: Message, value: Any, path: str = "") -> None:
    """Set the fields of ``message`` that the JSON ``value`` holds."""
    descriptor = descriptor_of(message)
    name = descriptor.full_name
    if name in _TIME_LIKE:
        if not isinstance(value, str):
            raise CodecError(path, f"expected a string for {name}")
        try:
            message.FromJsonString(value)  # type: ignore[attr-defined]
        except ValueError as err:
            raise CodecError(path, f"invalid {name.rsplit('.', 1)[-1].lower()} {value!r}: {err}") from None
        return
    if name in _STRUCT_LIKE:
        try:
            json_format.ParseDict(value, message)
        except json_format.ParseError as err:
            raise CodecError(path, str(err)) from None
        return
    if name in _WRAPPERS:
        setattr(message, "value", decode_scalar(descriptor.fields_by_name["value"], value, path))  # noqa: B010
        return
    if name == _FIELD_MASK:
        _merge_field_mask(message, value, path)
        return
    if name == _ANY:
        _merge_any(message, value, path)
        return
    if not isinstance(value, dict):
        raise CodecError(path, f"expected an object for {name}")
    for key, item in value.items():
        field = descriptor.fields_by_name.get(key) or _by_json_name(descriptor, key)
        here = f"{path}.{key}" if path else key
        if field is None:
            raise CodecError(here, f"unknown field {key!r} in {name}")
        if item is None and (field.message_type is None or field.message_type.full_name != "google.protobuf.Value"):
            continue
        _merge_field(message, field, item, here)


def _by_json_name(descriptor: Descriptor, key: str) -> FieldDescriptor | None:
    for field in descriptor.fields:
        if field.json_name == key:
            return field
    return None


def _merge_field(message: Message, field: FieldDescriptor, value: Any, path: str) -> None:
    if _is_map(field):
        if not isinstance(value, dict):
            raise CodecError(path, "expected an object")
        key_field = _entry(field).fields_by_name["key"]
        value_field = _entry(field).fields_by_name["value"]
        container = getattr(message, field.name)
        for raw_key, item in value.items():
            key = decode_scalar(key_field, raw_key, f"{path}.{raw_key}", from_text=True)
            if value_field.message_type is not None:
                merge_json(container[key], item, f"{path}.{raw_key}")
            else:
                container[key] = decode_scalar(value_field, item, f"{path}.{raw_key}")
        return
    if field.is_repeated:
        if not isinstance(value, list):
            raise CodecError(path, "expected an array")
        container = getattr(message, field.name)
        for index, item in enumerate(value):
            here = f"{path}[{index}]"
            if field.message_type is not None:
                merge_json(container.add(), item, here)
            else:
                container.append(decode_scalar(field, item, here))
        return
    if field.message_type is not None:
        merge_json(getattr(message, field.name), value, path)
        return
    setattr(message, field.name, decode_scalar(field, value, path))


def _merge_field_mask(message: Message, value: Any, path: str) -> None:
    paths: list[str]
    if isinstance(value, str):
        paths = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, dict) and set(value) <= {"paths"}:
        listed = value.get("paths", [])
        if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
            raise CodecError(path, "field mask paths must be an array of strings")
        paths = listed
    else:
        raise CodecError(path, 'expected a field mask as "a,b.c" or {"paths": [...]}')
    getattr(message, "paths").extend(paths)  # noqa: B009


def _merge_any(message: Message, value: Any, path: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("@type"), str):
        raise CodecError(path, 'expected an object with "@type"')
    type_url: str = value["@type"]
    pool = descriptor_of(message).file.pool
    try:
        inner_descriptor = pool.FindMessageTypeByName(type_url.rsplit("/", 1)[-1])
    except KeyError:
        raise CodecError(path, f"unknown type {type_url!r}") from None
    rest = {k: v for k, v in value.items() if k != "@type"}
    special = inner_descriptor.full_name in _TIME_LIKE | _STRUCT_LIKE | _WRAPPERS | {_FIELD_MASK}
    inner = from_json(GetMessageClass(inner_descriptor), rest.get("value") if special else rest, path)
    setattr(message, "type_url", type_url)  # noqa: B010
    setattr(message, "value", inner.SerializeToString())  # noqa: B010
