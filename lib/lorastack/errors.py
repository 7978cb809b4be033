"""Errors with The Things Stack's shape: namespace, name, message format, attributes.

A package defines each of its errors once with :func:`define`; raising one in a
gRPC handler becomes a status carrying ``ttn.lorawan.v3.ErrorDetails`` (see
``lorastack.rpc``), and the REST layer maps its code to an HTTP status.
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc

__all__ = [
    "HTTP_STATUS",
    "ErrorDefinition",
    "LorastackError",
    "define",
    "http_status",
]

# gRPC code -> HTTP status, as The Things Stack's gateway maps them.
HTTP_STATUS: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def http_status(code: grpc.StatusCode) -> int:
    """The HTTP status for a gRPC status code."""
    return HTTP_STATUS.get(code, 500)


@dataclass(frozen=True, slots=True)
class ErrorDefinition:
    """One kind of error; call it with the attributes its message format names."""

    namespace: str
    name: str
    message_format: str
    code: grpc.StatusCode

    def __call__(self, *, cause: BaseException | None = None, **attributes: Any) -> LorastackError:
        return LorastackError(self, attributes, cause=cause)

    @property
    def attribute_names(self) -> frozenset[str]:
        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.message_format) if f)


def define(namespace: str, name: str, message_format: str, code: grpc.StatusCode) -> ErrorDefinition:
    """Define an error: lower-case snake_case name, message without a final period."""
    if not _NAME.match(name):
        raise ValueError(f"error name {name!r} is not snake_case")
    if message_format.endswith("."):
        raise ValueError(f"error message {message_format!r} ends with a period")
    return ErrorDefinition(namespace, name, message_format, code)


class LorastackError(Exception):
    """An instance of an :class:`ErrorDefinition` with its attributes."""

    def __init__(
        self,
        definition: ErrorDefinition,
        attributes: Mapping[str, Any],
        *,
        cause: BaseException | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.definition = definition
        self.attributes = dict(attributes)
        self.cause = cause
        self.correlation_id = correlation_id or uuid.uuid4().hex
        super().__init__(self.message)
        if cause is not None:
            self.__cause__ = cause

    @property
    def code(self) -> grpc.StatusCode:
        return self.definition.code

    @property
    def message(self) -> str:
        try:
            return self.definition.message_format.format(**self.attributes)
        except (KeyError, IndexError, ValueError):
            return self.definition.message_format

    @property
    def full_name(self) -> str:
        return f"{self.definition.namespace}:{self.definition.name}"

    def __str__(self) -> str:
        return f"error:{self.full_name} ({self.message})"

    def is_instance(self, definition: ErrorDefinition) -> bool:
        """Whether this error was made from ``definition``."""
        return self.definition == definition
