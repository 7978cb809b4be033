"""Cluster events (design.md section 5): define, publish over NATS JetStream, subscribe with filters."""

from .bus import EventBus, StreamSettings
from .definitions import EventDefinition, define
from .identifiers import (
    EntityKind,
    EntityRef,
    InvalidIdentifierError,
    application,
    client,
    end_device,
    gateway,
    organization,
    user,
)
from .metrics import EventMetrics, metrics_for
from .record import Authentication, DecodeError, EventRecord, decode, encode, new_unique_id
from .subjects import NamePattern, SubjectScheme, compile_name_patterns
from .subscriber import EventSubscription

__all__ = [
    "Authentication",
    "DecodeError",
    "EntityKind",
    "EntityRef",
    "EventBus",
    "EventDefinition",
    "EventMetrics",
    "EventRecord",
    "EventSubscription",
    "InvalidIdentifierError",
    "NamePattern",
    "StreamSettings",
    "SubjectScheme",
    "application",
    "client",
    "compile_name_patterns",
    "decode",
    "define",
    "encode",
    "end_device",
    "gateway",
    "metrics_for",
    "new_unique_id",
    "organization",
    "user",
]
