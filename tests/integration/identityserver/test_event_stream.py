"""Events.Stream over gRPC and REST: rights per entity and per event, name filters, tail and after replay."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from integration.identityserver.harness import Server, add_tenant
from integration.identityserver.helpers import app_ids, app_key, create_app
from lorastack import events
from ttn.lorawan.v3 import events_pb2, events_pb2_grpc, identifiers_pb2
from ttn.lorawan.v3 import rights_pb2 as r

UPLINK = events.define("as.up.data.forward", visibility=[r.RIGHT_APPLICATION_TRAFFIC_READ])
NO_VISIBILITY = events.define("test.plain")


@asynccontextmanager
async def event_bus(server: Server) -> AsyncIterator[events.EventBus]:
    config = server.config
    bus = events.EventBus(
        config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix, origin="test"
    )
    async with bus:
        yield bus


def request(*app: str, names: tuple[str, ...] = (), tail: int = 0) -> events_pb2.StreamEventsRequest:
    return events_pb2.StreamEventsRequest(
        identifiers=[identifiers_pb2.EntityIdentifiers(application_ids=app_ids(a)) for a in app],
        names=list(names),
        tail=tail,
    )


async def next_event(call: Any) -> events_pb2.Event:
    event = await asyncio.wait_for(call.read(), 5)
    assert isinstance(event, events_pb2.Event), event
    return event


async def rename(server: Server, app: str, name: str) -> None:
    status, _, _ = await server.rest(
        "PUT", f"/applications/{app}", body={"application": {"name": name}, "field_mask": {"paths": ["name"]}}
    )
    assert status == 200


async def test_stream_sends_visible_events_only(server: Server) -> None:
    await create_app(server, "ev-a")
    info_key = await app_key(server, "ev-a", [r.RIGHT_APPLICATION_INFO])
    stub = events_pb2_grpc.EventsStub(server.channel)
    async with event_bus(server) as bus:
        info_call = stub.Stream(request("ev-a"), metadata=server.md(info_key))
        full_call = stub.Stream(request("ev-a"), metadata=server.md())
        assert (await next_event(info_call)).name == "events.stream.start"
        assert (await next_event(full_call)).name == "events.stream.start"
        device = events.end_device("ev-a", "dev-1")
        await bus.publish(UPLINK, identifiers=[device], context={"secret": b"x"})
        await rename(server, "ev-a", "renamed")
        # Events of one filter arrive in order: the update coming first proves the uplink was dropped.
        seen = await next_event(info_call)
        assert seen.name == "is.application.update"
        up = await next_event(full_call)
        assert up.name == "as.up.data.forward"
        assert up.identifiers[0].device_ids.device_id == "dev-1"
        assert not up.context
        assert (await next_event(full_call)).name == "is.application.update"
        info_call.cancel()
        full_call.cancel()


async def test_rights_are_required_on_every_identifier(server: Server) -> None:
    await create_app(server, "ev-a")
    await create_app(server, "ev-b")
    a_key = await app_key(server, "ev-a", [r.RIGHT_APPLICATION_ALL])
    stub = events_pb2_grpc.EventsStub(server.channel)
    cases = [
        (request("ev-a", "ev-b"), a_key, grpc.StatusCode.PERMISSION_DENIED),
        (request("ev-b"), a_key, grpc.StatusCode.PERMISSION_DENIED),
        (request(), None, grpc.StatusCode.INVALID_ARGUMENT),
        (request("ev-a", names=("/([/",)), None, grpc.StatusCode.INVALID_ARGUMENT),
        (request("ev-a"), "NNSXS.NOPE.NOPE", grpc.StatusCode.UNAUTHENTICATED),
    ]
    for req, key, code in cases:
        call = stub.Stream(req, metadata=server.md(key))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await asyncio.wait_for(call.read(), 5)
        assert err.value.code() == code, req


async def test_names_filter_with_globs_and_regex(server: Server) -> None:
    await create_app(server, "ev-a")
    stub = events_pb2_grpc.EventsStub(server.channel)
    async with event_bus(server) as bus:
        glob_call = stub.Stream(request("ev-a", names=("as.*",)), metadata=server.md())
        regex_call = stub.Stream(request("ev-a", names=("/update$/",)), metadata=server.md())
        for call in (glob_call, regex_call):
            assert (await next_event(call)).name == "events.stream.start"
        await rename(server, "ev-a", "one")
        await bus.publish(UPLINK, identifiers=[events.end_device("ev-a", "d")])
        await bus.publish(NO_VISIBILITY, identifiers=[events.application("ev-a")])
        assert (await next_event(glob_call)).name == "as.up.data.forward"
        assert (await next_event(regex_call)).name == "is.application.update"
        glob_call.cancel()
        regex_call.cancel()


async def test_tail_and_after_replay_history(server: Server) -> None:
    await create_app(server, "ev-a")
    for n in range(3):
        await rename(server, "ev-a", f"name {n}")
    stub = events_pb2_grpc.EventsStub(server.channel)
    tail_call = stub.Stream(request("ev-a", tail=2), metadata=server.md())
    assert (await next_event(tail_call)).name == "events.stream.start"
    replayed = [await next_event(tail_call) for _ in range(2)]
    assert [e.name for e in replayed] == ["is.application.update"] * 2
    tail_call.cancel()

    after_req = request("ev-a")
    after_req.after.FromDatetime(datetime.now(UTC) - timedelta(minutes=5))
    after_call = stub.Stream(after_req, metadata=server.md())
    names = [(await next_event(after_call)).name for _ in range(5)]
    assert names == ["events.stream.start", "is.application.create"] + ["is.application.update"] * 3
    after_call.cancel()


async def test_stream_over_rest_is_newline_delimited(server: Server) -> None:
    await create_app(server, "ev-a")
    await rename(server, "ev-a", "before")
    body = {"identifiers": [{"application_ids": {"application_id": "ev-a"}}], "tail": 1}
    async with server.http.post(server.base + "/events", json=body, headers=server.headers()) as resp:
        assert resp.status == 200
        first = json.loads(await asyncio.wait_for(resp.content.readline(), 5))
        assert first["result"]["name"] == "events.stream.start"
        replay = json.loads(await asyncio.wait_for(resp.content.readline(), 5))
        assert replay["result"]["name"] == "is.application.update"
        assert replay["result"]["identifiers"] == [{"application_ids": {"application_id": "ev-a"}}]
        await rename(server, "ev-a", "after")
        live = json.loads(await asyncio.wait_for(resp.content.readline(), 5))
        assert live["result"]["name"] == "is.application.update"
    status, denied, _ = await server.rest(
        "POST", "/events", key="NNSXS.NOPE.NOPE", body={"identifiers": body["identifiers"]}
    )
    assert status == 401, denied


async def test_tenants_do_not_share_events(server: Server) -> None:
    other_key = await add_tenant(server, "other")
    await create_app(server, "ev-a")
    await create_app(server, "ev-a", key=other_key, tenant="other")
    stub = events_pb2_grpc.EventsStub(server.channel)
    call = stub.Stream(request("ev-a"), metadata=server.md(other_key, "other"))
    assert (await next_event(call)).name == "events.stream.start"
    await rename(server, "ev-a", "default tenant")
    async with event_bus(server) as bus:
        await bus.publish(NO_VISIBILITY, identifiers=[events.application("ev-a")], tenant_id="other")
    assert (await next_event(call)).name == "test.plain"
    call.cancel()
