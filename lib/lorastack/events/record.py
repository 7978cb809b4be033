"""One published event, its unique ID, and the bytes it travels as on NATS.

The fields mirror ``ttn.lorawan.v3.Event`` so that Events.Stream can map one onto the other.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import any_pb2

from .identifiers import EntityKind, EntityRef

__all__ = ["Authentication", "DecodeError", "EventRecord", "decode", "encode", "new_unique_id"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_unique_id(now_ms: int | None = None) -> str:
    """A ULID: 48 bits of Unix milliseconds then 80 random bits, Crockford base32.

    Sorting the IDs as strings sorts the events by time, which helps when looking at a dump.
    """
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


@dataclass(frozen=True, slots=True)
class Authentication:
    """How the caller that caused the event authenticated (``Event.Authentication``)."""

    type: str = ""
    token_type: str = ""
    token_id: str = ""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as published: what happened, to whom, when, where, and who may see it."""

    name: str
    time: datetime
    identifiers: tuple[EntityRef, ...]
    unique_id: str
    origin: str
    tenant_id: str
    data: any_pb2.Any | None = None
    correlation_ids: tuple[str, ...] = ()
    context: Mapping[str, bytes] = field(default_factory=dict)
    visibility: tuple[int, ...] = ()
    authentication: Authentication | None = None
    remote_ip: str = ""
    user_agent: str = ""


class DecodeError(ValueError):
    """Bytes on an event subject that are not an encoded event."""


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def encode(record: EventRecord) -> bytes:
    """Serialize compactly; short keys because this runs for every event on the data path."""
    doc: dict[str, Any] = {
        "n": record.name,
        "t": (record.time - _EPOCH) // _MICROSECOND,
        "i": [[ref.kind.value, ref.id, ref.application_id] for ref in record.identifiers],
        "u": record.unique_id,
        "o": record.origin,
        "T": record.tenant_id,
    }
    if record.data is not None:
        doc["d"] = [record.data.type_url, _b64(record.data.value)]
    if record.correlation_ids:
        doc["c"] = list(record.correlation_ids)
    if record.context:
        doc["x"] = {key: _b64(value) for key, value in record.context.items()}
    if record.visibility:
        doc["v"] = list(record.visibility)
    if record.authentication is not None:
        auth = record.authentication
        doc["a"] = [auth.type, auth.token_type, auth.token_id]
    if record.remote_ip:
        doc["r"] = record.remote_ip
    if record.user_agent:
        doc["g"] = record.user_agent
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(payload: bytes) -> EventRecord:
    """Parse what :func:`encode` wrote; raise :class:`DecodeError` on anything else."""
    try:
        doc = json.loads(payload)
        data = None
        if "d" in doc:
            type_url, value = doc["d"]
            data = any_pb2.Any(type_url=type_url, value=base64.b64decode(value))
        auth = Authentication(*doc["a"]) if "a" in doc else None
        return EventRecord(
            name=doc["n"],
            time=_EPOCH + doc["t"] * _MICROSECOND,
            identifiers=tuple(EntityRef(EntityKind(kind), id_, app) for kind, id_, app in doc["i"]),
            unique_id=doc["u"],
            origin=doc["o"],
            tenant_id=doc["T"],
            data=data,
            correlation_ids=tuple(doc.get("c", ())),
            context={key: base64.b64decode(value) for key, value in doc.get("x", {}).items()},
            visibility=tuple(doc.get("v", ())),
            authentication=auth,
            remote_ip=doc.get("r", ""),
            user_agent=doc.get("g", ""),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DecodeError(f"not an encoded event: {exc}") from exc
