"""Building ``ttn.lorawan.v3.Event`` messages, their unique IDs, and their bytes on NATS.

The wire format is the serialized Event itself, so Events.Stream forwards what it receives.
"""

from __future__ import annotations

import base64
import functools
import os
import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from time import time_ns as _now_ns

from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError as ProtoDecodeError
from google.protobuf.message import Message

from ttn.lorawan.v3 import events_pb2, rights_pb2

from .definitions import EventDefinition
from .identifiers import AnyIdentifiers, as_entity_identifiers

__all__ = ["DecodeError", "Event", "decode", "encode", "new_event", "new_unique_id"]

Event = events_pb2.Event

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# RFC 4648 base32 digits mapped onto Crockford's, so the C encoder does the bit slicing.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD.encode())

# IDs need to be unique, not secret: a seeded PRNG costs far less than a getrandom system call per event.
_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def new_unique_id(now_ms: int | None = None) -> str:
    """A ULID: 48 bits of Unix milliseconds then 80 random bits, Crockford base32.

    Sorting the IDs as strings sorts the events by time, which helps when looking at a dump.
    """
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (millis & ((1 << 48) - 1)) << 80 | _random.getrandbits(80)
    # 20 bytes are 32 base32 digits; the 128-bit value sits in the last 26 (two leading zero bits).
    digits = base64.b32encode(value.to_bytes(20, "big"))[6:]
    return digits.translate(_TO_CROCKFORD).decode()


@functools.cache
def _visibility(rights: tuple[int, ...]) -> rights_pb2.Rights:
    return rights_pb2.Rights(rights=[rights_pb2.Right.ValueType(r) for r in rights])


def new_event(
    definition: EventDefinition,
    *,
    identifiers: Sequence[AnyIdentifiers],
    origin: str,
    time: datetime | None = None,
    data: Message | None = None,
    correlation_ids: Sequence[str] = (),
    context: Mapping[str, bytes] | None = None,
    authentication: events_pb2.Event.Authentication | None = None,
    remote_ip: str = "",
    user_agent: str = "",
) -> events_pb2.Event:
    """An Event with a fresh unique ID at ``time`` (now when None); ``data`` is packed into an ``Any``."""
    event = events_pb2.Event(
        name=definition.name,
        identifiers=[as_entity_identifiers(ids) for ids in identifiers],
        correlation_ids=list(correlation_ids),
        origin=origin,
        context=dict(context or {}),
        remote_ip=remote_ip,
        user_agent=user_agent,
        unique_id=new_unique_id(),
    )
    if time is None:
        event.time.FromNanoseconds(_now_ns())
    else:
        event.time.CopyFrom(_timestamp(time))
    if data is not None:
        event.data.Pack(data)
    if definition.visibility:
        event.visibility.CopyFrom(_visibility(definition.visibility))
    if authentication is not None:
        event.authentication.CopyFrom(authentication)
    return event


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


class DecodeError(ValueError):
    """Bytes on an event subject that are not an encoded event."""


def encode(event: events_pb2.Event) -> bytes:
    return event.SerializeToString()


def decode(payload: bytes) -> events_pb2.Event:
    """Parse an Event; one without a name or unique ID is not ours and is refused."""
    event = events_pb2.Event()
    try:
        event.ParseFromString(payload)
    except ProtoDecodeError as exc:
        raise DecodeError(f"not an encoded event: {exc}") from exc
    if not event.name or not event.unique_id:
        raise DecodeError("not an encoded event: no name or unique id")
    return event
