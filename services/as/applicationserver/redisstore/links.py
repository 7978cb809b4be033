"""Application links and their statistics in Redis."""

from __future__ import annotations

import time
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from redis.asyncio import Redis

from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import applicationserver_pb2

__all__ = ["RedisLinkStore"]


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


class RedisLinkStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._r: Any = redis  # redis-py types every reply as bytes | str; ours are bytes
        self._keys = keys

    def _link(self, app_key: str) -> str:
        return self._keys.of("link", app_key)

    def _stats(self, app_key: str) -> str:
        return self._keys.of("linkstats", app_key)

    async def get(self, app_key: str) -> applicationserver_pb2.ApplicationLink | None:
        raw = await self._r.get(self._link(app_key))
        return None if raw is None else applicationserver_pb2.ApplicationLink.FromString(raw)

    async def set(self, app_key: str, link: applicationserver_pb2.ApplicationLink) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._link(app_key), link.SerializeToString())
            pipe.sadd(self._keys.of("links"), app_key)
            await pipe.execute()

    async def delete(self, app_key: str) -> bool:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(self._link(app_key), self._stats(app_key))
            pipe.srem(self._keys.of("links"), app_key)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def app_keys(self) -> list[str]:
        members = await self._r.smembers(self._keys.of("links"))
        return sorted(m.decode() for m in members)

    async def stats(self, app_key: str) -> applicationserver_pb2.ApplicationLinkStats | None:
        raw = await self._r.hgetall(self._stats(app_key))
        if not raw or b"linked_at" not in raw:
            return None
        out = applicationserver_pb2.ApplicationLinkStats(
            network_server_address=raw.get(b"ns", b"").decode(),
            up_count=int(raw.get(b"up_count", 0)),
            downlink_count=int(raw.get(b"down_count", 0)),
        )
        out.linked_at.CopyFrom(_timestamp(float(raw[b"linked_at"])))
        if b"last_up" in raw:
            out.last_up_received_at.CopyFrom(_timestamp(float(raw[b"last_up"])))
        if b"last_down" in raw:
            out.last_downlink_forwarded_at.CopyFrom(_timestamp(float(raw[b"last_down"])))
        return out

    async def record_linked(self, app_key: str, ns_address: str) -> None:
        await self._r.hset(self._stats(app_key), mapping={"linked_at": time.time(), "ns": ns_address})

    async def record_up(self, app_key: str, count: int = 1) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hincrby(self._stats(app_key), "up_count", count)
            pipe.hset(self._stats(app_key), "last_up", time.time())
            await pipe.execute()

    async def record_down(self, app_key: str) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hincrby(self._stats(app_key), "down_count", 1)
            pipe.hset(self._stats(app_key), "last_down", time.time())
            await pipe.execute()
