"""HTTP headers to gRPC metadata and gRPC response metadata back to HTTP headers (grpc-gateway rules)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["request_metadata", "response_headers"]

_PREFIX = "grpc-metadata-"
_KEY = re.compile(r"^[0-9a-z_.-]+$")
# Keys that belong to the HTTP/2 transport or to gRPC itself and must not be set by a caller.
_RESERVED = {"content-type", "user-agent", "te", "host", "connection", "content-length", "authorization"}


def _valid(key: str) -> bool:
    return bool(_KEY.match(key)) and not key.startswith("grpc-") and not key.endswith("-bin")


def request_metadata(headers: Mapping[str, str], remote: str | None) -> list[tuple[str, str]]:
    """The outgoing metadata for an HTTP request's headers and client address."""
    out: list[tuple[str, str]] = []
    authorization = headers.get("Authorization") or headers.get("Grpc-Metadata-Authorization")
    if authorization:
        out.append(("authorization", authorization))
    for name, value in headers.items():
        lower = name.lower()
        if not lower.startswith(_PREFIX):
            continue
        key = lower[len(_PREFIX) :]
        if _valid(key) and key not in _RESERVED and value.isascii():
            out.append((key, value))
    request_id = headers.get("X-Request-Id")
    if request_id and request_id.isascii():
        out.append(("x-request-id", request_id))
    forwarded = [p.strip() for p in headers.get("X-Forwarded-For", "").split(",") if p.strip()]
    if remote:
        forwarded.append(remote)
    if forwarded:
        out.append(("x-forwarded-for", ", ".join(forwarded)))
    return out


def response_headers(metadata: Iterable[Any] | None) -> dict[str, str]:
    """HTTP headers for a call's initial metadata: X-Total-Count as is, the rest as Grpc-Metadata-*."""
    out: dict[str, str] = {}
    for item in metadata or ():
        key, value = str(item[0]).lower(), item[1]
        if not isinstance(value, str) or not _valid(key) or key in _RESERVED:
            continue
        if key == "x-total-count":
            out["X-Total-Count"] = value
        elif key == "x-request-id":
            out["X-Request-Id"] = value
        else:
            out[f"Grpc-Metadata-{key}"] = value
    return out
