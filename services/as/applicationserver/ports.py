"""Small seams the domain modules take as constructor arguments (events, clocks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from google.protobuf.message import Message

from lorastack.events import AnyIdentifiers, EventDefinition

__all__ = ["EventPublisher", "NullPublisher"]


class EventPublisher(Protocol):
    """What :class:`lorastack.events.EventBus` offers the domain code."""

    async def publish(
        self,
        definition: EventDefinition,
        *,
        identifiers: Sequence[AnyIdentifiers],
        data: Message | None = None,
        correlation_ids: Sequence[str] = (),
        tenant_id: str | None = None,
    ) -> Any: ...


class NullPublisher:
    """Publishes nowhere (tools and tests that do not look at events)."""

    async def publish(
        self,
        definition: EventDefinition,
        *,
        identifiers: Sequence[AnyIdentifiers],
        data: Message | None = None,
        correlation_ids: Sequence[str] = (),
        tenant_id: str | None = None,
    ) -> Any:
        return None
