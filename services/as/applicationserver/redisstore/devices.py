"""End devices (the AS fields of seed 001) in Redis, updated with optimistic transactions, with a count of
the devices of each application."""

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

    @property
    def _counts(self) -> str:
        return self._keys.of("devcount")

    async def app_keys(self) -> list[str]:
        counts = await self._r.hgetall(self._counts)
        return sorted(app.decode() for app, count in counts.items() if int(count) > 0)

    async def get(self, app_key: str, dev_id: str) -> EndDevice | None:
        raw = await self._r.get(self._key(app_key, dev_id))
        return None if raw is None else EndDevice.FromString(raw)

    async def get_many(self, app_key: str, dev_ids: list[str]) -> dict[str, EndDevice | None]:
        if not dev_ids:
            return {}
        raws = await self._r.mget([self._key(app_key, dev_id) for dev_id in dev_ids])
        return {
            dev_id: None if raw is None else EndDevice.FromString(raw)
            for dev_id, raw in zip(dev_ids, raws, strict=True)
        }

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
                    # The per-application device count (which applications the AS links) changes in the
                    # same transaction as the record, so it cannot drift under concurrent writers.
                    if current is None and updated is not None:
                        pipe.hincrby(self._counts, app_key, 1)
                    elif current is not None and updated is None:
                        pipe.hincrby(self._counts, app_key, -1)
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue
