"""Turn a :class:`LorastackError` into a gRPC status carrying ``ErrorDetails``.

The status travels as the standard ``grpc-status-details-bin`` trailer: a
``google.rpc.Status`` whose details hold one ``ttn.lorawan.v3.ErrorDetails``.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import any_pb2, struct_pb2
from google.rpc import status_pb2

from lorastack.errors import LorastackError

__all__ = ["STATUS_DETAILS_KEY", "error_details", "status_trailers"]

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def error_details(err: LorastackError) -> Any:
    """The ``ttn.lorawan.v3.ErrorDetails`` message of an error."""
    from ttn.lorawan.v3 import error_pb2  # generated; imported late to keep the lib importable alone

    attributes = struct_pb2.Struct()
    attributes.update({k: _json_safe(v) for k, v in err.attributes.items()})
    details = error_pb2.ErrorDetails(
        namespace=err.definition.namespace,
        name=err.definition.name,
        message_format=err.definition.message_format,
        attributes=attributes,
        correlation_id=err.correlation_id,
        code=err.code.value[0],
    )
    if isinstance(err.cause, LorastackError):
        details.cause.CopyFrom(error_details(err.cause))
    return details


def status_trailers(err: LorastackError) -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata that carries the error's details to the client."""
    packed = any_pb2.Any()
    packed.Pack(error_details(err))
    status = status_pb2.Status(code=err.code.value[0], message=str(err), details=[packed])
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)


def code_of(err: LorastackError) -> grpc.StatusCode:
    return err.code
