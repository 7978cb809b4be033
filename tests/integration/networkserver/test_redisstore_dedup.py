"""The Redis deduplicator on the real Redis: windows, late copies, and frames handed on when the
replica that took them does not finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from integration.networkserver.nsharness import REDIS_URL, new_tag
from lorastack.storage.redis import Keys
from networkserver.redisstore.dedup import RedisUplinkDeduplicator

pytestmark = pytest.mark.integration

LEASE_MS = 300
FRAME = b"\x40frame-one"


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, Keys]]:
    client = Redis.from_url(REDIS_URL)
    keys = Keys(f"test:dedup:{new_tag()}")
    try:
        yield client, keys
    finally:
        stored = [k async for k in client.scan_iter(match=f"{keys.prefix}:*", count=1000)]
        if stored:
            await client.delete(*stored)
        await client.aclose()


def _replicas(redis: tuple[Redis, Keys]) -> tuple[RedisUplinkDeduplicator, RedisUplinkDeduplicator]:
    client, keys = redis
    return (
        RedisUplinkDeduplicator(client, keys, owner="ns-a:3884", lease_ms=LEASE_MS),
        RedisUplinkDeduplicator(client, keys, owner="ns-b:3884", lease_ms=LEASE_MS),
    )


async def test_copies_within_the_window_are_collected_once(redis: tuple[Redis, Keys]) -> None:
    first, second = _replicas(redis)
    assert await first.add(FRAME, b"copy-1", 100, 1000) == "first"
    assert await second.add(FRAME, b"copy-2", 100, 1000) == "duplicate"
    assert await first.collect_many([FRAME]) == [[b"copy-1", b"copy-2"]]
    assert await second.add(FRAME, b"copy-3", 100, 1000) == "late"
    await first.done_many([FRAME])
    await asyncio.sleep(LEASE_MS / 1000 + 0.1)
    assert await second.take_overdue(10) == []


async def test_a_frame_is_not_taken_over_while_its_lease_runs(redis: tuple[Redis, Keys]) -> None:
    first, second = _replicas(redis)
    await first.add(FRAME, b"copy-1", 100, 1000)
    assert await second.take_overdue(10) == []
    assert await first.collect_many([FRAME]) == [[b"copy-1"]]
    assert await second.take_overdue(10) == []
    # Only the replica that opened the window collects it at its close.
    assert await second.collect_many([FRAME]) == [[]]


async def test_a_restarted_replica_takes_back_what_it_left(redis: tuple[Redis, Keys]) -> None:
    client, keys = redis
    first, second = _replicas(redis)
    await first.add(FRAME, b"copy-1", 50, 1000)
    await first.add(b"\x40frame-two", b"copy-2", 50, 1000)
    await first.collect_many([b"\x40frame-two"])
    assert await second.take_own(10) == []
    again = RedisUplinkDeduplicator(client, keys, owner="ns-a:3884", lease_ms=LEASE_MS)
    assert sorted(await again.take_own(10)) == [[b"copy-1"], [b"copy-2"]]
    await again.done_many([FRAME, b"\x40frame-two"])
    await asyncio.sleep(LEASE_MS / 1000 + 0.1)
    assert await second.take_overdue(10) == []


def test_a_replica_name_has_no_separator() -> None:
    with pytest.raises(ValueError, match=r"no '\|'"):
        RedisUplinkDeduplicator(Redis(), Keys("x"), owner="a|b")


async def test_a_window_whose_opener_died_is_taken_over(redis: tuple[Redis, Keys]) -> None:
    dead, alive = _replicas(redis)
    await dead.add(FRAME, b"copy-1", 50, 1000)
    await alive.add(FRAME, b"copy-2", 50, 1000)
    await asyncio.sleep((50 + LEASE_MS) / 1000 + 0.1)
    assert await alive.take_overdue(10) == [[b"copy-1", b"copy-2"]]
    # Taken means leased again: nobody else takes it before that lease ends, and late copies stay late.
    assert await dead.take_overdue(10) == []
    assert await dead.add(FRAME, b"copy-3", 50, 1000) == "late"
    await alive.done_many([FRAME])
    await asyncio.sleep(LEASE_MS / 1000 + 0.1)
    assert await dead.take_overdue(10) == []


async def test_a_frame_whose_taker_died_mid_way_is_taken_over(redis: tuple[Redis, Keys]) -> None:
    dead, alive = _replicas(redis)
    await dead.add(FRAME, b"copy-1", 50, 1000)
    assert await dead.collect_many([FRAME]) == [[b"copy-1"]]
    await asyncio.sleep(LEASE_MS / 1000 + 0.1)
    assert await alive.take_overdue(10) == [[b"copy-1"]]
    # The new taker owns it now: the dead one's restart does not take it again.
    again = RedisUplinkDeduplicator(redis[0], redis[1], owner="ns-a:3884", lease_ms=LEASE_MS)
    assert await again.take_own(10) == []
