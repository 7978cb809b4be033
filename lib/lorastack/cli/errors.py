"""What the operator sees when a call fails: the error's name, message and attributes from the
``ttn.lorawan.v3.ErrorDetails`` in the gRPC status, or the bare status when the server sent none."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import status_pb2

from ttn.lorawan.v3 import error_pb2

__all__ = ["STATUS_DETAILS_KEY", "CliError", "describe_rpc_error", "error_details_of"]

STATUS_DETAILS_KEY = "grpc-status-details-bin"


class CliError(Exception):
    """A problem the CLI itself found (bad flags, missing login); printed without a traceback."""


def error_details_of(err: grpc.aio.AioRpcError) -> error_pb2.ErrorDetails | None:
    metadata: Any = err.trailing_metadata() or ()
    for key, value in metadata:
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        for packed in status.details:
            details = error_pb2.ErrorDetails()
            if packed.Unpack(details):
                return details
    return None


class _Lenient(string.Formatter):
    """Leaves ``{name}`` in place when an attribute is missing instead of failing."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return "{" + key + "}"
        return super().get_value(key, args, kwargs)


def _message(details: error_pb2.ErrorDetails, attributes: Mapping[str, Any]) -> str:
    try:
        return _Lenient().format(details.message_format, **attributes)
    except (IndexError, ValueError):
        return details.message_format


def _details_lines(details: error_pb2.ErrorDetails, indent: str) -> list[str]:
    attributes = json_format.MessageToDict(details.attributes)
    lines = [f"{indent}{details.namespace}:{details.name} ({_message(details, attributes)})"]
    for key in sorted(attributes):
        value = attributes[key]
        shown = value if isinstance(value, str) else json.dumps(value)
        lines.append(f"{indent}  {key}: {shown}")
    if details.correlation_id:
        lines.append(f"{indent}  correlation_id: {details.correlation_id}")
    if details.HasField("cause"):
        lines.append(f"{indent}  caused by:")
        lines.extend(_details_lines(details.cause, indent + "    "))
    return lines


def describe_rpc_error(err: grpc.aio.AioRpcError) -> str:
    """Several lines: the status code, then the structured error (or the status text)."""
    code = err.code()
    head = f"error: {code.name if code is not None else 'UNKNOWN'}"
    details = error_details_of(err)
    if details is None:
        return f"{head}: {err.details() or 'no details'}"
    return "\n".join([head, *_details_lines(details, "  ")])
