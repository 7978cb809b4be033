"""``Events.Stream``: the cluster's events about the entities the caller may see (seed 000)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from identityserver.auth import Authorizer, Caller
from identityserver.event_stream import EventStreams
from identityserver.grpc_common import Context, caller_of
from ttn.lorawan.v3 import events_pb2

__all__ = ["EventsServicer"]


class EventsServicer:
    def __init__(self, streams: EventStreams, auth: Authorizer) -> None:
        self._streams = streams
        self._auth = auth

    async def Stream(
        self, request: events_pb2.StreamEventsRequest, context: Context
    ) -> AsyncIterator[events_pb2.Event]:
        async def authenticate() -> Caller:
            return await caller_of(self._auth, context)

        async for event in self._streams.stream(authenticate, request):
            yield event
