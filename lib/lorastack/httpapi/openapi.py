"""OpenAPI 3.0 document of the REST bindings, built at run time from the rules and message descriptors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from lorastack.httpapi.rules import Binding
from lorastack.httpapi.scalars import HEX_BYTES_FIELDS, enum_of

__all__ = ["build_document"]

_T = FieldDescriptor
_SCALARS: dict[int, dict[str, Any]] = {
    _T.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _T.TYPE_FLOAT: {"type": "number", "format": "float"},
    _T.TYPE_INT32: {"type": "integer", "format": "int32"},
    _T.TYPE_SINT32: {"type": "integer", "format": "int32"},
    _T.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    _T.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    _T.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    _T.TYPE_INT64: {"type": "string", "format": "int64"},
    _T.TYPE_SINT64: {"type": "string", "format": "int64"},
    _T.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    _T.TYPE_UINT64: {"type": "string", "format": "uint64"},
    _T.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    _T.TYPE_BOOL: {"type": "boolean"},
    _T.TYPE_STRING: {"type": "string"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "example": "1.500s"},
    "google.protobuf.FieldMask": {
        "type": "object",
        "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
    "google.protobuf.DoubleValue": {"type": "number", "nullable": True},
    "google.protobuf.FloatValue": {"type": "number", "nullable": True},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64", "nullable": True},
    "google.protobuf.UInt64Value": {"type": "string", "format": "uint64", "nullable": True},
    "google.protobuf.Int32Value": {"type": "integer", "nullable": True},
    "google.protobuf.UInt32Value": {"type": "integer", "nullable": True},
    "google.protobuf.BoolValue": {"type": "boolean", "nullable": True},
    "google.protobuf.StringValue": {"type": "string", "nullable": True},
    "google.protobuf.BytesValue": {"type": "string", "format": "byte", "nullable": True},
}
_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"$ref": "#/components/schemas/google.protobuf.Any"}},
    },
}
_QUERY_DEPTH = 3


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {
            "google.rpc.Status": _ERROR,
            "google.protobuf.Any": _WELL_KNOWN["google.protobuf.Any"],
        }

    def message(self, descriptor: Descriptor) -> dict[str, Any]:
        name = descriptor.full_name
        if name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[name])
        if name not in self.components:
            self.components[name] = {}  # Placeholder first: messages may refer to themselves.
            properties = {f.name: self.field(f) for f in descriptor.fields}
            self.components[name] = {"type": "object", "properties": properties}
        return _ref(name)

    def value(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.message(field.message_type)
        if field.type == _T.TYPE_ENUM:
            return {"type": "string", "enum": [v.name for v in enum_of(field).values]}
        if field.type == _T.TYPE_BYTES:
            if field.name in HEX_BYTES_FIELDS:
                return {"type": "string", "format": "hex", "pattern": "^([0-9A-Fa-f]{2})*$"}
            return {"type": "string", "format": "byte"}
        return dict(_SCALARS[field.type])

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        entry = field.message_type
        if field.is_repeated and entry is not None and entry.GetOptions().map_entry:
            return {"type": "object", "additionalProperties": self.value(entry.fields_by_name["value"])}
        if field.is_repeated:
            return {"type": "array", "items": self.value(field)}
        return self.value(field)


def _query_parameters(
    schemas: _Schemas, descriptor: Descriptor, prefix: str, skip: set[str], depth: int
) -> Iterable[dict[str, Any]]:
    for field in descriptor.fields:
        name = prefix + field.name
        if name in skip:
            continue
        entry = field.message_type
        if entry is not None and entry.full_name not in _WELL_KNOWN:
            if not field.is_repeated and depth < _QUERY_DEPTH:
                yield from _query_parameters(schemas, entry, name + ".", skip, depth + 1)
            continue
        if entry is not None and entry.GetOptions().map_entry:
            continue
        schema: dict[str, Any]
        if entry is not None and entry.full_name == "google.protobuf.FieldMask":
            schema = {"type": "string", "description": "comma-separated field paths"}
        else:
            schema = schemas.field(field)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
        if field.is_repeated:
            param.update(style="form", explode=True)
        yield param


def _operation(schemas: _Schemas, binding: Binding) -> dict[str, Any]:
    method = binding.method
    service = method.containing_service
    parameters: list[dict[str, Any]] = [
        {"name": v, "in": "path", "required": True, "schema": {"type": "string"}} for v in binding.template.variables
    ]
    operation: dict[str, Any] = {
        "operationId": binding.operation_id,
        "tags": [service.name],
        "summary": f"{service.full_name}.{method.name}",
    }
    if binding.body == "*":
        operation["requestBody"] = {"content": {"application/json": {"schema": schemas.message(method.input_type)}}}
    elif binding.body:
        body_field = method.input_type.fields_by_name[binding.body]
        operation["requestBody"] = {"content": {"application/json": {"schema": schemas.field(body_field)}}}
    if binding.body != "*":
        skip = set(binding.template.variables) | ({binding.body} if binding.body else set())
        parameters.extend(_query_parameters(schemas, method.input_type, "", skip, 0))
    if parameters:
        operation["parameters"] = parameters
    output = (
        schemas.field(method.output_type.fields_by_name[binding.response_body])
        if binding.response_body
        else schemas.message(method.output_type)
    )
    if binding.server_streaming:
        output = {"type": "object", "properties": {"result": output, "error": _ref("google.rpc.Status")}}
        description = "A stream of newline-delimited JSON objects"
    else:
        description = "A successful response"
    operation["responses"] = {
        "200": {"description": description, "content": {"application/json": {"schema": output}}},
        "default": {
            "description": "An error",
            "content": {"application/json": {"schema": _ref("google.rpc.Status")}},
        },
    }
    return operation


def build_document(bindings: Iterable[Binding], *, title: str = "Lorastack API", version: str = "v3") -> dict[str, Any]:
    """The OpenAPI 3.0 document for ``bindings``."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for binding in bindings:
        item = paths.setdefault(binding.template.openapi_path, {})
        item[binding.http_method.lower()] = _operation(schemas, binding)
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
