"""Builds a gRPC request message from an HTTP request the way grpc-gateway does.

Order: the body (``*`` or one field), then query parameters for fields not bound elsewhere, then path
variables, which win over both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from lorastack.httpapi.errors import (
    ERR_INVALID_BODY,
    ERR_INVALID_FIELD_VALUE,
    ERR_INVALID_PATH_VALUE,
    ERR_INVALID_QUERY,
)
from lorastack.httpapi.jsoncodec import CodecError, descriptor_of, merge_json
from lorastack.httpapi.rules import Binding
from lorastack.httpapi.scalars import decode_scalar

__all__ = ["build_request", "check_binding", "resolve_field_path"]

_FROM_TEXT = {
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    *(f"google.protobuf.{n}Value" for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32")),
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}


def resolve_field_path(descriptor: Descriptor, path: str) -> list[FieldDescriptor] | None:
    """The fields along a dotted path (proto or JSON names), or ``None`` when a part does not exist."""
    fields: list[FieldDescriptor] = []
    current: Descriptor | None = descriptor
    for part in path.split("."):
        if current is None:
            return None
        field = current.fields_by_name.get(part)
        if field is None:
            field = next((f for f in current.fields if f.json_name == part), None)
        if field is None:
            return None
        fields.append(field)
        current = None if field.is_repeated else field.message_type
    return fields


def check_binding(binding: Binding) -> None:
    """Raise ValueError when a rule names fields its request message does not have."""
    request = binding.method.input_type
    for variable in binding.template.variables:
        fields = resolve_field_path(request, variable)
        if fields is None or (fields[-1].message_type is not None and not _text_message(fields[-1])):
            raise ValueError(f"{binding.grpc_path}: path variable {variable!r} is not a scalar field")
    if binding.body not in ("", "*") and binding.body not in request.fields_by_name:
        raise ValueError(f"{binding.grpc_path}: body field {binding.body!r} does not exist")


def _text_message(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.full_name in _FROM_TEXT


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except UnicodeDecodeError as err:
        raise ERR_INVALID_BODY(problem=f"not UTF-8 ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise ERR_INVALID_BODY(problem=f"{err.msg} at line {err.lineno} column {err.colno}") from None


def _set_leaf(message: Message, fields: list[FieldDescriptor], values: list[str], name: str) -> None:
    target = message
    for field in fields[:-1]:
        target = getattr(target, field.name)
    leaf = fields[-1]
    if leaf.message_type is not None:
        if not _text_message(leaf) or leaf.is_repeated:
            raise CodecError(name, "a message cannot be set from a URL value")
        text: Any = ",".join(values) if leaf.message_type.full_name == "google.protobuf.FieldMask" else values[-1]
        if leaf.message_type.full_name == "google.protobuf.BoolValue":
            text = decode_scalar(leaf.message_type.fields_by_name["value"], text, name, from_text=True)
        merge_json(getattr(target, leaf.name), text, name)
        return
    if leaf.is_repeated:
        parts = [p for v in values for p in v.split(",") if p != ""]
        container = getattr(target, leaf.name)
        container.extend(decode_scalar(leaf, p, name, from_text=True) for p in parts)
        return
    if len(values) > 1:
        raise CodecError(name, "repeated for a field that takes one value")
    setattr(target, leaf.name, decode_scalar(leaf, values[0], name, from_text=True))


def _covered(key: str, bound: Iterable[str]) -> bool:
    return any(key == b or key.startswith(b + ".") or b.startswith(key + ".") for b in bound)


def _apply_query(message: Message, query: Iterable[tuple[str, str]], bound: list[str]) -> None:
    grouped: dict[str, list[str]] = {}
    for key, value in query:
        grouped.setdefault(key, []).append(value)
    descriptor = descriptor_of(message)
    for key, values in grouped.items():
        if _covered(key, bound):
            continue
        fields = resolve_field_path(descriptor, key)
        if fields is None:
            continue  # Unknown parameters (cache busters and the like) are ignored, as grpc-gateway does.
        try:
            _set_leaf(message, fields, values, key)
        except CodecError as err:
            raise ERR_INVALID_QUERY(name=key, problem=err.problem) from None
        except (ValueError, TypeError) as err:
            raise ERR_INVALID_QUERY(name=key, problem=str(err)) from None


def build_request(
    binding: Binding,
    message: Message,
    variables: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
) -> None:
    """Fill ``message`` (an empty request of ``binding``) from the HTTP request parts."""
    if binding.body:
        document = _parse_body(body)
        try:
            if binding.body == "*":
                merge_json(message, document)
            else:
                field = descriptor_of(message).fields_by_name[binding.body]
                merge_json(message, {field.name: document})
        except CodecError as err:
            if not err.path:
                raise ERR_INVALID_BODY(problem=err.problem) from None
            raise ERR_INVALID_FIELD_VALUE(field=err.path, problem=err.problem) from None
        except (ValueError, TypeError) as err:
            raise ERR_INVALID_BODY(problem=str(err)) from None
    if binding.body != "*":
        bound = [*variables, *([binding.body] if binding.body else [])]
        _apply_query(message, query, bound)
    descriptor = descriptor_of(message)
    for variable, value in variables.items():
        fields = resolve_field_path(descriptor, variable)
        if fields is None:
            raise ERR_INVALID_PATH_VALUE(field=variable, problem="no such field")
        _clear_leaf(message, fields)
        try:
            _set_leaf(message, fields, [value], variable)
        except CodecError as err:
            raise ERR_INVALID_PATH_VALUE(field=variable, problem=err.problem) from None
        except (ValueError, TypeError) as err:
            raise ERR_INVALID_PATH_VALUE(field=variable, problem=str(err)) from None


def _clear_leaf(message: Message, fields: list[FieldDescriptor]) -> None:
    # A path value replaces whatever the body said about the same field, including repeated ones.
    target = message
    for field in fields[:-1]:
        target = getattr(target, field.name)
    target.ClearField(fields[-1].name)
