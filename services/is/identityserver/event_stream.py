"""Events.Stream's rules: which requested entities a caller may watch, and which events reach it.

Every requested entity needs some right of the caller; each event then needs one of the
rights its ``visibility`` lists, held on a requested entity that covers the event's entity.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from identityserver import errors
from identityserver.auth import Authorizer, Caller
from lorastack import events
from lorastack.events import EntityKind, EntityRef, EventBus, InvalidIdentifierError
from ttn.lorawan.v3 import events_pb2

__all__ = ["STREAM_START", "EventStreams", "Scope"]

STREAM_START = "events.stream.start"
MAX_TAIL = 1000
MAX_IDENTIFIERS = 100

_RIGHTS_KIND = {
    EntityKind.APPLICATION: "application",
    EntityKind.END_DEVICE: "application",
    EntityKind.GATEWAY: "gateway",
    EntityKind.ORGANIZATION: "organization",
    EntityKind.USER: "user",
    EntityKind.CLIENT: "client",
}


def _rights_target(ref: EntityRef) -> tuple[str, str]:
    """The entity whose rights guard ``ref``'s events (a device's application)."""
    if ref.kind is EntityKind.END_DEVICE:
        return "application", ref.application_id
    return _RIGHTS_KIND[ref.kind], ref.id


@dataclass(frozen=True, slots=True)
class Scope:
    """The requested entities with the caller's (expanded) rights on each."""

    entries: tuple[tuple[EntityRef, frozenset[int]], ...]

    def allows(self, event: events_pb2.Event) -> bool:
        visibility = set(event.visibility.rights)
        for ids in event.identifiers:
            try:
                ref = events.as_ref(ids)
            except InvalidIdentifierError:
                continue
            for watched, held in self.entries:
                if not watched.covers(ref):
                    continue
                # An event defined without visibility needs only some right on the entity.
                if not visibility or visibility & held:
                    return True
        return False


def parse_request(request: events_pb2.StreamEventsRequest) -> tuple[list[EntityRef], list[str], datetime | None]:
    """Validated references, name patterns and start time of a request."""
    if not request.identifiers:
        raise errors.invalid_field(field="identifiers", reason="name at least one entity")
    if len(request.identifiers) > MAX_IDENTIFIERS:
        raise errors.invalid_field(field="identifiers", reason=f"at most {MAX_IDENTIFIERS} entities")
    refs: list[EntityRef] = []
    for ids in request.identifiers:
        try:
            ref = events.as_ref(ids)
        except InvalidIdentifierError as exc:
            raise errors.invalid_field(field="identifiers", reason=str(exc)) from None
        if ref.is_eui_only:
            raise errors.invalid_field(field="identifiers", reason="end devices are named by their ids")
        refs.append(ref)
    names = list(request.names)
    for name in names:
        if len(name) >= 2 and name.startswith("/") and name.endswith("/"):
            try:
                re.compile(name[1:-1])
            except re.error as exc:
                raise errors.invalid_field(field="names", reason=f"bad pattern `{name[:60]}`: {exc}") from None
        elif not name:
            raise errors.invalid_field(field="names", reason="empty name")
    after = request.after.ToDatetime(tzinfo=UTC) if request.HasField("after") else None
    return refs, names, after


class EventStreams:
    """Opens filtered, rights-checked event streams on the bus."""

    def __init__(
        self,
        bus: EventBus,
        auth: Authorizer,
        *,
        recheck_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._auth = auth
        self._recheck = recheck_seconds
        self._clock = clock
        self._origin = socket.gethostname()

    async def scope(self, caller: Caller, refs: Sequence[EntityRef]) -> Scope:
        """The caller's rights on every requested entity; refused if it has none on one of them."""
        entries: list[tuple[EntityRef, frozenset[int]]] = []
        for ref in refs:
            kind, entity_id = _rights_target(ref)
            held = await self._auth.rights(caller, kind, entity_id)
            if not held:
                raise errors.no_rights(entity_type=kind, entity_id=entity_id)
            entries.append((ref, held))
        return Scope(tuple(entries))

    def _start_event(self, request: events_pb2.StreamEventsRequest) -> events_pb2.Event:
        start = events_pb2.Event(
            name=STREAM_START,
            identifiers=list(request.identifiers),
            origin=self._origin,
            unique_id=events.new_unique_id(),
        )
        start.time.GetCurrentTime()
        return start

    async def stream(
        self,
        authenticate: Callable[[], Awaitable[Caller]],
        request: events_pb2.StreamEventsRequest,
    ) -> AsyncIterator[events_pb2.Event]:
        """The start event, then the visible events; rights are checked again every few seconds."""
        refs, names, after = parse_request(request)
        caller = await authenticate()
        scope = await self.scope(caller, refs)
        checked_at = self._clock()
        tail = min(int(request.tail), MAX_TAIL) or None
        async with self._bus.subscribe(refs, names, tail=tail, after=after, tenant_id=caller.tenant_id) as sub:
            yield self._start_event(request)
            async for event in sub:
                if self._clock() - checked_at >= self._recheck:
                    # A revoked key or collaborator ends the stream with the same error a new call gets.
                    scope = await self.scope(await authenticate(), refs)
                    checked_at = self._clock()
                if not scope.allows(event):
                    continue
                event.ClearField("context")
                yield event
