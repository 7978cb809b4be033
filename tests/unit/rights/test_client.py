"""RightsClient: caching, errors, and invalidation by the IS's events on a real NATS server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from lorastack import events
from lorastack.errors import LorastackError
from lorastack.rights import RightsClient, expand, takes_rights_away
from lorastack.rpc.auth import Credentials, current_tenant
from ttn.lorawan.v3 import application_services_pb2_grpc, identifiers_pb2, rights_pb2
from ttn.lorawan.v3 import rights_pb2 as r

BEARER = Credentials("bearer", "NNSXS.A.B")


@dataclass
class FakeAccess(application_services_pb2_grpc.ApplicationAccessServicer):
    """An IS stand-in answering ListRights from a table, counting calls."""

    rights: dict[str, list[int]] = field(default_factory=dict)
    calls: int = 0
    tenants: list[str | None] = field(default_factory=list)
    gate: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def ListRights(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> rights_pb2.Rights:
        self.calls += 1
        self.tenants.append(dict(context.invocation_metadata() or ()).get("x-tenant-id"))
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        held = self.rights.get(request.application_id)
        if held is None:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no rights")
        return rights_pb2.Rights(rights=held)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeAccess, grpc.aio.Channel]]:
    access = FakeAccess(rights={"app": [r.RIGHT_APPLICATION_INFO]})
    server = grpc.aio.server()
    application_services_pb2_grpc.add_ApplicationAccessServicer_to_server(access, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield access, channel
    await channel.close()
    await server.stop(0)


async def test_answers_are_cached_until_invalidated(fake: tuple[FakeAccess, grpc.aio.Channel]) -> None:
    access, channel = fake
    client = RightsClient(lambda: channel, ttl=60)
    assert await client.rights("application", "app", BEARER) == {r.RIGHT_APPLICATION_INFO}
    await client.rights("application", "app", BEARER)
    assert access.calls == 1
    client.invalidate()
    await client.rights("application", "app", BEARER)
    assert access.calls == 2
    assert await client.rights("application", "other", BEARER) == frozenset()


async def test_answer_fetched_across_an_invalidation_is_not_cached(fake: tuple[FakeAccess, grpc.aio.Channel]) -> None:
    access, channel = fake
    access.gate = asyncio.Event()
    client = RightsClient(lambda: channel, ttl=60)
    pending = asyncio.create_task(client.rights("application", "app", BEARER))
    await asyncio.wait_for(access.entered.wait(), 5)
    client.invalidate()
    access.gate.set()
    await pending
    await client.rights("application", "app", BEARER)
    assert access.calls == 2


async def test_cluster_keys_and_missing_credentials(fake: tuple[FakeAccess, grpc.aio.Channel]) -> None:
    access, channel = fake
    client = RightsClient(lambda: channel, cluster_keys=[bytes(16)])
    held = await client.rights("application", "app", Credentials("cluster", "00" * 16))
    assert held == expand([r.RIGHT_ALL]) and access.calls == 0
    with pytest.raises(LorastackError) as err:
        await client.rights("application", "app")
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(LorastackError) as err:
        await RightsClient(lambda: None).rights("application", "app", BEARER)
    assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_which_events_take_rights_away() -> None:
    for name in ("is.api_key.delete", "is.api_key.update", "is.collaborator.update", "is.application.delete"):
        assert takes_rights_away(name), name
    for name in ("is.application.create", "is.api_key.create", "ns.up.data.process"):
        assert not takes_rights_away(name), name


async def test_follow_invalidations_drops_the_cache_on_is_events(fake: tuple[FakeAccess, grpc.aio.Channel]) -> None:
    access, channel = fake
    name = uuid.uuid4().hex[:12]
    bus = events.EventBus(
        "nats://127.0.0.1:4222", stream=f"RIGHTSTEST_{name}", subject_prefix=f"rightstest.{name}", origin="test"
    )
    async with bus:
        client = RightsClient(lambda: channel, ttl=60)
        ready = asyncio.Event()
        task = asyncio.create_task(client.follow_invalidations(bus, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), 5)
            await client.rights("application", "app", BEARER)
            await bus.publish(events.define("is.application.create"), identifiers=[events.application("x")])
            await bus.client.flush()
            await asyncio.sleep(0.1)
            await client.rights("application", "app", BEARER)
            assert access.calls == 1
            await bus.publish(
                events.define("is.api_key.delete"), identifiers=[events.application("app")], tenant_id="other"
            )
            for _ in range(100):
                await client.rights("application", "app", BEARER)
                if access.calls == 2:
                    break
                await asyncio.sleep(0.01)
            assert access.calls == 2
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await bus.delete_stream()


async def test_the_call_tenant_is_forwarded_and_keeps_its_own_cache(
    fake: tuple[FakeAccess, grpc.aio.Channel],
) -> None:
    access, channel = fake
    client = RightsClient(lambda: channel, ttl=60)
    await client.rights("application", "app", BEARER)
    token = current_tenant.set("tenant-b")
    try:
        await client.rights("application", "app", BEARER)
        await client.rights("application", "app", BEARER)
    finally:
        current_tenant.reset(token)
    assert access.tenants == [None, "tenant-b"]
