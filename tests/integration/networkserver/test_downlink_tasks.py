"""The Redis downlink task queue against the real Redis (leases shared by replicas, wake-ups while a
task is leased, recovery after a replica dies), and class A downlinks sent by whichever replica
takes the task rather than the one that handled the uplink."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import field_mask_pb2
from redis.asyncio import Redis

from integration.networkserver.frames import data_uplink, uplink_message
from integration.networkserver.nsharness import (
    CLUSTER_MD,
    REDIS_URL,
    USER_MD,
    fake_peers,
    new_tag,
    ns_config,
    running_ns,
)
from integration.networkserver.test_registry import ALL_PATHS, APP, abp_device
from lorastack.lorawan import decode_phy_payload
from lorastack.storage.redis import Keys
from networkserver.redisstore import RedisDeviceRegistry, RedisDownlinkTaskQueue
from networkserver.store import DeviceWrite
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, networkserver_pb2_grpc


@pytest.fixture
async def redis_keys() -> AsyncIterator[tuple[Redis, Keys]]:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"test:{new_tag()}"
    try:
        yield redis, Keys(prefix)
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def _now() -> int:
    return int(time.time() * 1000)


async def test_a_leased_task_is_given_to_one_replica_only(redis_keys: tuple[Redis, Keys]) -> None:
    first, second = (RedisDownlinkTaskQueue(*redis_keys), RedisDownlinkTaskQueue(*redis_keys))
    await first.add("app", "dev", _now())
    (task,) = await first.pop_due(_now(), 10, 10_000)
    assert (task.application_id, task.device_id) == ("app", "dev")
    assert await second.pop_due(_now(), 10, 10_000) == []
    await first.finish(task, _now())
    assert await second.pop_due(_now() + 20_000, 10, 10_000) == []


async def test_a_wake_while_leased_runs_the_task_again(redis_keys: tuple[Redis, Keys]) -> None:
    queue = RedisDownlinkTaskQueue(*redis_keys)
    await queue.add("app", "dev", _now())
    (task,) = await queue.pop_due(_now(), 10, 10_000)
    # An uplink makes the device due while its task runs; a replica looks and must leave it.
    await queue.add("app", "dev", _now())
    assert await queue.pop_due(_now(), 10, 10_000) == []
    await queue.finish(task, _now())
    (again,) = await queue.pop_due(_now(), 10, 10_000)
    assert again.device_id == "dev"


async def test_finish_with_a_next_time_and_lease_expiry(redis_keys: tuple[Redis, Keys]) -> None:
    queue = RedisDownlinkTaskQueue(*redis_keys)
    await queue.add("app", "retry", _now())
    (task,) = await queue.pop_due(_now(), 10, 10_000)
    await queue.finish(task, _now(), _now() + 300)
    assert await queue.pop_due(_now(), 10, 10_000) == []
    (later,) = await queue.pop_due(_now() + 400, 10, 10_000)
    assert later.device_id == "retry"
    # The replica holding it dies: once the lease is over, another takes the task.
    await queue.add("app", "orphan", _now())
    await queue.pop_due(_now(), 10, 100)
    await asyncio.sleep(0.2)
    assert [t.device_id for t in await queue.pop_due(_now(), 10, 100)] == ["orphan"]


async def test_device_writes_add_their_task_and_deletes_remove_it(redis_keys: tuple[Redis, Keys]) -> None:
    redis, keys = redis_keys
    devices, queue = RedisDeviceRegistry(redis, keys), RedisDownlinkTaskQueue(redis, keys)
    device = abp_device()
    version = await devices.put(APP, "dev-one", device, "")
    (written,) = await devices.put_many([DeviceWrite(APP, "dev-one", device, version, (), _now())])
    assert written is not None
    (task,) = await queue.pop_due(_now(), 10, 10_000)
    assert (task.application_id, task.device_id) == (APP, "dev-one")
    await queue.finish(task, _now(), _now())
    await devices.delete(APP, "dev-one")
    assert await queue.pop_due(_now() + 1000, 10, 10_000) == []


async def test_class_a_downlink_is_sent_by_the_replica_that_takes_the_task() -> None:
    async with fake_peers() as peers:
        tag = new_tag()
        # The first replica handles uplinks but works on no downlink tasks.
        configs = [ns_config(tag, peers.address, ns_downlink_concurrency=0), ns_config(tag, peers.address)]
        async with running_ns(configs) as (uplinks_only, _):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{uplinks_only.grpc_port}") as channel:
                mask = field_mask_pb2.FieldMask(paths=ALL_PATHS)
                await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(
                    end_device_pb2.SetEndDeviceRequest(end_device=abp_device(), field_mask=mask), metadata=USER_MD
                )
                (message,) = uplink_message(data_uplink("26011BDA", 4, confirmed=True))
                await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(message, metadata=CLUSTER_MD)
            (sent,) = await peers.gateway.wait_for_requests()
    assert getattr(sent.request, "class") == lorawan_pb2.CLASS_A and sent.request.rx1_frequency == 868_100_000
    assert decode_phy_payload(sent.raw_payload).payload.fhdr.f_ctrl.ack  # type: ignore[union-attr]


async def test_a_join_accept_whose_windows_passed_is_dropped_not_sent() -> None:
    async with fake_peers() as peers:
        tag = new_tag()
        config = ns_config(tag, peers.address)
        async with running_ns([config]):
            redis = Redis.from_url(REDIS_URL)
            try:
                keys = Keys(config.redis_prefix)
                devices, queue = RedisDeviceRegistry(redis, keys), RedisDownlinkTaskQueue(redis, keys)
                device = abp_device()
                pending = device.pending_mac_state
                pending.queued_join_accept.payload = b"\x20" + bytes(16)
                request = pending.recent_uplinks.add(device_channel_index=0)
                request.payload.m_hdr.m_type = lorawan_pb2.JOIN_REQUEST
                request.received_at.FromMilliseconds(_now() - 7_000)  # JoinAccept2 opened a second ago
                pending.rx_windows_available = True
                await devices.put(APP, "dev-one", device, "")
                await queue.add(APP, "dev-one", _now())
                for _ in range(50):
                    stored = await devices.get(APP, "dev-one")
                    assert stored is not None
                    if not stored.device.pending_mac_state.HasField("queued_join_accept"):
                        break
                    await asyncio.sleep(0.05)
            finally:
                await redis.aclose()
    assert not stored.device.pending_mac_state.HasField("queued_join_accept")
    assert not stored.device.pending_mac_state.rx_windows_available
    assert stored.device.session == device.session  # the rest of the record is as it was
    assert peers.gateway.requests == []
