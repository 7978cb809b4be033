"""End devices (the AS fields of seed 001) in Redis, updated with optimistic transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import end_device_pb2

__all__ = ["RedisDeviceStore"]

EndDevice = end_device_pb2.EndDevice


class RedisDeviceStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._r: Any = redis  # redis-py types every reply as bytes | str; ours are bytes
        self._keys = keys

    def _key(self, app_key: str, dev_id: str) -> str:
        return self._keys.of("dev", app_key, dev_id)

    async def get(self, app_key: str, dev_id: str) -> EndDevice | None:
        raw = await self._r.get(self._key(app_key, dev_id))
        return None if raw is None else EndDevice.FromString(raw)

    async def update(
        self, app_key: str, dev_id: str, change: Callable[[EndDevice | None], EndDevice | None]
    ) -> EndDevice | None:
        key = self._key(app_key, dev_id)
        # WATCH/MULTI: a concurrent writer makes EXEC fail, and the change runs again on fresh data.
        while True:
            async with self._r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    current = None if raw is None else EndDevice.FromString(raw)
                    updated = change(current)
                    pipe.multi()
                    if updated is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, updated.SerializeToString())
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue
