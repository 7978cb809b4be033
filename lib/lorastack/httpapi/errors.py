"""Errors of the REST gateway and their JSON form: {"code", "message", "details"} with an HTTP status.

gRPC failures keep the google.rpc.Status details they carry in ``grpc-status-details-bin``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2, struct_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass
from google.rpc import status_pb2

from lorastack.errors import LorastackError, define, http_status
from lorastack.httpapi.jsoncodec import to_json

__all__ = [
    "ERROR_DETAILS_TYPE",
    "ERR_INTERNAL",
    "ERR_INVALID_BODY",
    "ERR_INVALID_FIELD_VALUE",
    "ERR_INVALID_PATH_VALUE",
    "ERR_INVALID_QUERY",
    "ERR_METHOD_NOT_ALLOWED",
    "ERR_NO_PEER",
    "ERR_ROUTE_NOT_FOUND",
    "ErrorBody",
    "from_lorastack_error",
    "from_rpc_error",
]

ERROR_DETAILS_TYPE = "ttn.lorawan.v3.ErrorDetails"
_NS = "pkg/httpapi"
_ARG = grpc.StatusCode.INVALID_ARGUMENT

ERR_ROUTE_NOT_FOUND = define(_NS, "route_not_found", "no route for `{method} {path}`", grpc.StatusCode.NOT_FOUND)
ERR_METHOD_NOT_ALLOWED = define(
    _NS, "method_not_allowed", "method `{method}` not allowed on `{path}`", grpc.StatusCode.UNIMPLEMENTED
)
ERR_INVALID_BODY = define(_NS, "invalid_body", "invalid request body: {problem}", _ARG)
ERR_INVALID_FIELD_VALUE = define(_NS, "invalid_field_value", "invalid value of field `{field}`: {problem}", _ARG)
ERR_INVALID_PATH_VALUE = define(_NS, "invalid_path_value", "invalid path value of `{field}`: {problem}", _ARG)
ERR_INVALID_QUERY = define(_NS, "invalid_query_parameter", "invalid query parameter `{name}`: {problem}", _ARG)
ERR_NO_PEER = define(
    _NS, "no_peer_for_service", "no peer available for service `{service}`", grpc.StatusCode.UNAVAILABLE
)
ERR_INTERNAL = define(_NS, "internal", "internal error", grpc.StatusCode.INTERNAL)


class ErrorBody:
    """An error ready to be written: HTTP status, JSON object, and the gRPC code it came from."""

    __slots__ = ("code", "json", "status")

    def __init__(self, code: grpc.StatusCode, message: str, details: list[Any], status: int | None = None):
        self.code = code
        self.status = status if status is not None else http_status(code)
        self.json: dict[str, Any] = {"code": code.value[0], "message": message, "details": details}


def _struct(attributes: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    for key, value in attributes.items():
        plain = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        out.update({key: plain})
    return out


def from_lorastack_error(
    error: LorastackError, pool: DescriptorPool, *, status: int | None = None, details_type: str = ERROR_DETAILS_TYPE
) -> ErrorBody:
    """The body of a gateway-side error, with an ErrorDetails detail when that type is in ``pool``."""
    details: list[Any] = []
    try:
        descriptor = pool.FindMessageTypeByName(details_type)
    except KeyError:
        descriptor = None
    if descriptor is not None:
        fields = {
            "namespace": error.definition.namespace,
            "name": error.definition.name,
            "message_format": error.definition.message_format,
            "correlation_id": error.correlation_id,
            "code": error.code.value[0],
        }
        detail = GetMessageClass(descriptor)(**{k: v for k, v in fields.items() if k in descriptor.fields_by_name})
        if "attributes" in descriptor.fields_by_name and error.attributes:
            getattr(detail, "attributes").CopyFrom(_struct(error.attributes))  # noqa: B009
        details.append({"@type": f"type.googleapis.com/{details_type}", **to_json(detail)})
    return ErrorBody(error.code, str(error), details, status)


def _metadata_value(metadata: Any, key: str) -> bytes | None:
    for item in metadata or ():
        name, value = item[0], item[1]
        if name == key:
            return value if isinstance(value, bytes) else str(value).encode()
    return None


def _detail_json(detail: any_pb2.Any, pool: DescriptorPool) -> Any:
    name = detail.type_url.rsplit("/", 1)[-1]
    try:
        descriptor = pool.FindMessageTypeByName(name)
    except KeyError:
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode("ascii")}
    try:
        inner = GetMessageClass(descriptor).FromString(detail.value)
    except DecodeError:
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode("ascii")}
    encoded = to_json(inner)
    if isinstance(encoded, dict):
        return {"@type": detail.type_url, **encoded}
    return {"@type": detail.type_url, "value": encoded}


def from_rpc_error(error: grpc.aio.AioRpcError, pool: DescriptorPool) -> ErrorBody:
    """The body of a failed gRPC call, keeping the details of its google.rpc.Status."""
    code = error.code()
    message = error.details() or ""
    details: list[Any] = []
    raw = _metadata_value(error.trailing_metadata(), "grpc-status-details-bin")
    if raw is not None:
        try:
            status = status_pb2.Status.FromString(raw)
        except DecodeError:
            status = None
        if status is not None:
            message = message or status.message
            details = [_detail_json(d, pool) for d in status.details]
    return ErrorBody(code, message, details)
