"""Cluster events (design.md section 5): define, publish over NATS JetStream, subscribe with filters."""

from .bus import EventBus, StreamSettings
from .definitions import EventDefinition, define
from .event import DecodeError, Event, decode, encode, new_event, new_unique_id
from .identifiers import (
    EUI_ONLY_APPLICATION,
    AnyIdentifiers,
    EntityKind,
    EntityRef,
    InvalidIdentifierError,
    application,
    as_entity_identifiers,
    as_ref,
    client,
    end_device,
    end_device_eui,
    gateway,
    organization,
    user,
)
from .metrics import EventMetrics, metrics_for
from .subjects import NamePattern, SubjectScheme, compile_name_patterns
from .subscriber import EventSubscription

__all__ = [
    "EUI_ONLY_APPLICATION",
    "AnyIdentifiers",
    "DecodeError",
    "EntityKind",
    "EntityRef",
    "Event",
    "EventBus",
    "EventDefinition",
    "EventMetrics",
    "EventSubscription",
    "InvalidIdentifierError",
    "NamePattern",
    "StreamSettings",
    "SubjectScheme",
    "application",
    "as_entity_identifiers",
    "as_ref",
    "client",
    "compile_name_patterns",
    "decode",
    "define",
    "encode",
    "end_device",
    "end_device_eui",
    "gateway",
    "metrics_for",
    "new_event",
    "new_unique_id",
    "organization",
    "user",
]
