"""The time-ordered downlink task queue: a sorted set of devices scored by when their next
downlink must be considered, popped atomically so exactly one replica takes each task."""

from __future__ import annotations

from redis.asyncio import Redis

from lorastack.storage.redis import Keys

__all__ = ["RedisDownlinkTaskQueue"]

_POP = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


class RedisDownlinkTaskQueue:
    """Implements ``networkserver.store.DownlinkTaskQueue``."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.of("downlink-tasks")
        self._pop = redis.register_script(_POP)

    async def add(self, application_id: str, device_id: str, at_ms: int) -> None:
        # LT keeps the earliest time when a task is already waiting.
        await self._redis.zadd(self._key, {f"{application_id}:{device_id}": at_ms}, lt=True)

    async def pop_due(self, now_ms: int, count: int) -> list[tuple[str, str]]:
        due = await self._pop(keys=[self._key], args=[now_ms, count])
        out: list[tuple[str, str]] = []
        for member in due:
            app_id, _, dev_id = (member.decode() if isinstance(member, bytes) else member).partition(":")
            out.append((app_id, dev_id))
        return out

    def _failures_key(self, application_id: str, device_id: str) -> str:
        return f"{self._key}:failures:{application_id}:{device_id}"

    async def note_failure(self, application_id: str, device_id: str) -> int:
        key = self._failures_key(application_id, device_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 3600)
            count, _ = await pipe.execute()
        return int(count)

    async def clear_failures(self, application_id: str, device_id: str) -> None:
        await self._redis.delete(self._failures_key(application_id, device_id))
