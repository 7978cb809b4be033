"""A stand-in for another role's API that checks rights through the IS, as every real service does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from integration.identityserver.harness import Server
from lorastack.component import Component
from lorastack.config import ServiceConfig, load
from lorastack.rights import RightsClient
from lorastack.service import connect_events, connect_nats
from ttn.lorawan.v3 import applicationserver_pubsub_pb2, applicationserver_pubsub_pb2_grpc
from ttn.lorawan.v3 import rights_pb2 as r


class PubSubStandIn(applicationserver_pubsub_pb2_grpc.ApplicationPubSubRegistryServicer):
    """Another role's API that checks rights through the IS like every real service."""

    def __init__(self, rights: RightsClient) -> None:
        self._rights = rights

    async def List(self, request: Any, context: Any) -> applicationserver_pubsub_pb2.ApplicationPubSubs:
        await self._rights.require("application", request.application_ids.application_id, r.RIGHT_APPLICATION_INFO)
        return applicationserver_pubsub_pb2.ApplicationPubSubs()


@asynccontextmanager
async def other_service(server: Server) -> AsyncIterator[Component]:
    config = load(
        ServiceConfig,
        {},
        grpc_address="127.0.0.1:0",
        http_address="127.0.0.1:0",
        peers_is=f"127.0.0.1:{server.component.grpc_port}",
        events_stream=server.config.events_stream,
        events_subject_prefix=server.config.events_subject_prefix,
        shutdown_grace_seconds=0.1,
    )
    component = Component("as", config)
    rights = RightsClient(lambda: component.peers.channel("is"), ttl=60)
    bus = await connect_events(component, await connect_nats(component))
    ready = asyncio.Event()
    component.spawn(lambda: rights.follow_invalidations(bus, ready=ready), "rights-invalidation")
    component.add_service("ttn.lorawan.v3.ApplicationPubSubRegistry", PubSubStandIn(rights))
    await component.start()
    try:
        await asyncio.wait_for(ready.wait(), 5)
        yield component
    finally:
        await component.stop()
