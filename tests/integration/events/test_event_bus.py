"""EventBus against the real NATS JetStream server on 127.0.0.1:4222, one stream per test."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from google.protobuf import timestamp_pb2
from nats.aio.client import Client
from prometheus_client import CollectorRegistry

from lorastack.events import (
    Event,
    EventBus,
    EventSubscription,
    StreamSettings,
    application,
    define,
    end_device,
    end_device_eui,
    gateway,
)
from ttn.lorawan.v3 import identifiers_pb2, rights_pb2

NATS_URL = "nats://127.0.0.1:4222"
UP_RECEIVE = define("gs.up.receive", visibility=[rights_pb2.RIGHT_GATEWAY_TRAFFIC_READ])
UP_PROCESS = define("ns.up.data.process", visibility=[rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ])
JOIN_ACCEPT = define("js.join.accept", visibility=[rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ])
JOIN_REJECT = define("js.join.reject", visibility=[rights_pb2.RIGHT_APPLICATION_DEVICES_READ])


@pytest.fixture
async def nc() -> AsyncIterator[Client]:
    client = await nats.connect(NATS_URL)
    yield client
    await client.close()


@pytest.fixture
async def bus(nc: Client) -> AsyncIterator[EventBus]:
    tag = uuid.uuid4().hex[:12]
    event_bus = EventBus(
        nc,
        stream=f"TEST_EVENTS_{tag}",
        subject_prefix=f"test.events.{tag}",
        origin="test-host",
        settings=StreamSettings(max_age_seconds=60, max_msgs=1000, max_bytes=1 << 20, memory=True),
        registry=CollectorRegistry(),
    )
    await event_bus.start()
    yield event_bus
    await event_bus.delete_stream()


async def _take(sub: EventSubscription, count: int) -> list[Event]:
    async with asyncio.timeout(5):
        return [await anext(sub) for _ in range(count)]


async def _nothing_more(sub: EventSubscription, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(sub), wait)


async def test_stream_is_created_with_the_limits(bus: EventBus, nc: Client) -> None:
    info = await nc.jsm().stream_info(bus.stream)
    assert info.config.subjects == [f"{bus.scheme.prefix}.>"]
    assert info.config.max_msgs == 1000
    assert info.config.max_age == 60
    # Starting again updates rather than fails.
    await bus.ensure_stream()


async def test_live_event_reaches_application_and_device_subscribers(bus: EventBus) -> None:
    device = end_device("app-1", "dev-1")
    async with (
        bus.subscribe([application("app-1")]) as by_app,
        bus.subscribe([device]) as by_device,
        bus.subscribe([end_device("app-1", "dev-2")]) as other_device,
    ):
        published = await bus.publish(
            UP_PROCESS,
            identifiers=[device, gateway("gw-1")],
            data=timestamp_pb2.Timestamp(seconds=7),
            correlation_ids=["ns:uplink:1"],
        )
        assert published is not None
        (got_app,) = await _take(by_app, 1)
        (got_device,) = await _take(by_device, 1)
        await _nothing_more(other_device)
    assert got_app == got_device == published
    assert got_app.origin == "test-host"
    assert list(got_app.visibility.rights) == [rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ]
    assert abs(got_app.time.ToDatetime(tzinfo=UTC) - datetime.now(UTC)) < timedelta(seconds=5)
    unpacked = timestamp_pb2.Timestamp()
    assert got_app.data.Unpack(unpacked) and unpacked.seconds == 7
    assert bus.metrics.published.labels("ns.up.data.process")._value.get() == 1


async def test_overlapping_filters_deliver_each_event_once(bus: EventBus) -> None:
    device = end_device("app-1", "dev-1")
    async with bus.subscribe([application("app-1"), device, gateway("gw-1")]) as sub:
        first = await bus.publish(UP_PROCESS, identifiers=[device, gateway("gw-1")])
        second = await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
        got = await _take(sub, 2)
        await _nothing_more(sub)
    assert {record.unique_id for record in got} == {first.unique_id, second.unique_id}  # type: ignore[union-attr]


async def test_name_patterns_filter(bus: EventBus) -> None:
    device = end_device("app-1", "dev-1")
    async with bus.subscribe([application("app-1")], ["ns.up.*"]) as sub:
        await bus.publish(JOIN_ACCEPT, identifiers=[device])
        wanted = await bus.publish(UP_PROCESS, identifiers=[device])
        (got,) = await _take(sub, 1)
        await _nothing_more(sub)
    assert got == wanted


async def test_tenants_are_separate(bus: EventBus) -> None:
    async with bus.subscribe([gateway("gw-1")], tenant_id="other") as sub:
        await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
        mine = await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")], tenant_id="other")
        (got,) = await _take(sub, 1)
    assert got == mine


async def test_tail_replays_the_last_events_then_goes_live(bus: EventBus) -> None:
    device = end_device("app-1", "dev-1")
    history = [await bus.publish(UP_PROCESS, identifiers=[device]) for _ in range(5)]
    await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
    async with bus.subscribe([application("app-1")], tail=2) as sub:
        replayed = await _take(sub, 2)
        await _nothing_more(sub)
        live = await bus.publish(UP_PROCESS, identifiers=[device])
        (got_live,) = await _take(sub, 1)
    assert replayed == history[-2:]
    assert got_live == live


async def test_without_tail_or_after_only_new_events(bus: EventBus) -> None:
    await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
    async with bus.subscribe([gateway("gw-1")]) as sub:
        await _nothing_more(sub)


async def test_after_replays_by_time(bus: EventBus) -> None:
    old = await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
    assert old is not None
    await asyncio.sleep(0.05)
    boundary = datetime.now(UTC)
    await asyncio.sleep(0.05)
    recent = await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
    async with bus.subscribe([gateway("gw-1")], after=boundary) as sub:
        (got,) = await _take(sub, 1)
        await _nothing_more(sub)
    assert got == recent
    async with bus.subscribe([gateway("gw-1")], after=boundary - timedelta(seconds=10), tail=1) as sub:
        (got,) = await _take(sub, 1)
    assert got == recent


async def test_closing_removes_the_consumers(bus: EventBus, nc: Client) -> None:
    sub = bus.subscribe([application("a"), gateway("g")], tail=3)
    await sub.start()
    assert (await nc.jsm().stream_info(bus.stream)).state.consumer_count == 2
    await sub.aclose()
    assert (await nc.jsm().stream_info(bus.stream)).state.consumer_count == 0
    with pytest.raises(StopAsyncIteration):
        await anext(sub)


async def test_aclose_from_another_task_ends_iteration(bus: EventBus) -> None:
    sub = bus.subscribe([gateway("g")])
    await sub.start()

    async def drain() -> list[Event]:
        return [record async for record in sub]

    task = asyncio.create_task(drain())
    await asyncio.sleep(0.1)
    await sub.aclose()
    assert await asyncio.wait_for(task, 2) == []


async def test_publish_never_raises(nc: Client) -> None:
    registry = CollectorRegistry()
    closed = await nats.connect(NATS_URL)
    await closed.close()
    broken = EventBus(closed, subject_prefix="test.events.broken", registry=registry)
    assert await broken.publish(UP_RECEIVE, identifiers=[gateway("g")]) is None
    assert await broken.publish(UP_RECEIVE, identifiers=[]) is None
    assert broken.metrics.publish_errors.labels("gs.up.receive")._value.get() == 2
    assert broken.metrics.published.labels("gs.up.receive")._value.get() == 0


async def test_bus_owns_a_connection_it_opened() -> None:
    tag = uuid.uuid4().hex[:12]
    async with EventBus(
        NATS_URL,
        stream=f"TEST_EVENTS_{tag}",
        subject_prefix=f"test.events.{tag}",
        settings=StreamSettings(memory=True),
        registry=CollectorRegistry(),
    ) as bus:
        async with bus.subscribe([gateway("g")]) as sub:
            sent = await bus.publish(UP_RECEIVE, identifiers=[gateway("g")])
            (got,) = await _take(sub, 1)
        assert got == sent
        await bus.delete_stream()
        client = bus.client
    assert client.is_closed


async def test_proto_identifiers_publish_and_subscribe(bus: EventBus) -> None:
    app_ids = identifiers_pb2.ApplicationIdentifiers(application_id="app-1")
    dev_ids = identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev-1", application_ids=app_ids, dev_eui=bytes.fromhex("70B3D57ED0000001")
    )
    async with bus.subscribe([identifiers_pb2.EntityIdentifiers(application_ids=app_ids)]) as sub:
        sent = await bus.publish(JOIN_ACCEPT, identifiers=[dev_ids])
        (got,) = await _take(sub, 1)
    assert got == sent
    assert got.identifiers[0].device_ids.dev_eui == bytes.fromhex("70B3D57ED0000001")


async def test_foreign_bytes_on_an_event_subject_are_counted_and_skipped(bus: EventBus, nc: Client) -> None:
    async with bus.subscribe([gateway("gw-1")]) as sub:
        await nc.publish(bus.scheme.subject("default", gateway("gw-1"), "gs.up.receive"), b"\xff\xff")
        sent = await bus.publish(UP_RECEIVE, identifiers=[gateway("gw-1")])
        (got,) = await _take(sub, 1)
    assert got == sent
    assert bus.metrics.decode_errors._value.get() == 1


async def test_an_event_about_a_device_known_only_by_euis_reaches_its_subscribers(bus: EventBus) -> None:
    join_eui, dev_eui = bytes.fromhex("0101010101010101"), bytes.fromhex("0202020202020202")
    ids = identifiers_pb2.EndDeviceIdentifiers(join_eui=join_eui, dev_eui=dev_eui)
    async with (
        bus.subscribe([end_device_eui(join_eui, dev_eui)]) as by_eui,
        bus.subscribe() as whole_tenant,
        bus.subscribe([end_device_eui(join_eui, bytes.fromhex("0303030303030303"))]) as other_eui,
        bus.subscribe([application("app-1")]) as by_app,
    ):
        published = await bus.publish(JOIN_REJECT, identifiers=[ids])
        assert published is not None
        (got,) = await _take(by_eui, 1)
        (got_admin,) = await _take(whole_tenant, 1)
        await _nothing_more(other_eui)
        await _nothing_more(by_app, 0.1)
    assert got == got_admin == published
    assert got.identifiers[0].device_ids == ids
