"""The per-application Redis stream of ApplicationUp messages that AsNs.LinkApplication drains.

A consumer group per stream makes delivery at-least-once: entries stay pending until the link
acknowledges them, and a link that reconnects first resends what it had not acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from lorastack.storage.redis import Keys
from networkserver.errors import ERR_STORE_UNAVAILABLE
from ttn.lorawan.v3 import messages_pb2

__all__ = ["RedisApplicationUpQueue"]

_GROUP = "link"


class RedisApplicationUpQueue:
    """Implements ``networkserver.store.ApplicationUpQueue``."""

    def __init__(self, redis: Redis, keys: Keys, *, max_length: int = 100_000) -> None:
        self._redis = redis
        self._keys = keys
        self._max_length = max_length
        self._groups: set[str] = set()

    def stream_key(self, application_id: str) -> str:
        return self._keys.of("up", application_id)

    async def _ensure_group(self, key: str) -> None:
        if key in self._groups:
            return
        try:
            await self._redis.xgroup_create(key, _GROUP, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise
        self._groups.add(key)

    async def push(self, application_id: str, ups: Sequence[messages_pb2.ApplicationUp]) -> None:
        if not ups:
            return
        key = self.stream_key(application_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for up in ups:
                pipe.xadd(key, {"u": up.SerializeToString()}, maxlen=self._max_length, approximate=True)
            await pipe.execute()

    async def read(
        self, application_id: str, consumer: str, *, pending: bool, count: int, block_ms: int
    ) -> list[tuple[bytes, messages_pb2.ApplicationUp]]:
        key = self.stream_key(application_id)
        await self._ensure_group(key)
        try:
            answer = await self._redis.xreadgroup(
                _GROUP, consumer, {key: "0" if pending else ">"}, count=count, block=None if pending else block_ms
            )
        except RedisConnectionError as err:
            # Ends the link with UNAVAILABLE (the AS reconnects), e.g. while this replica shuts down.
            raise ERR_STORE_UNAVAILABLE(cause=err) from err
        out: list[tuple[bytes, messages_pb2.ApplicationUp]] = []
        streams: list[Any] = list(answer or [])
        for _stream, entries in streams:
            for entry_id, fields in entries:
                payload = fields.get(b"u")
                if payload is None:
                    continue
                out.append((bytes(entry_id), messages_pb2.ApplicationUp.FromString(payload)))
        return out

    async def ack(self, application_id: str, entry_ids: Sequence[bytes]) -> None:
        if not entry_ids:
            return
        key = self.stream_key(application_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xack(key, _GROUP, *entry_ids)
            pipe.xdel(key, *entry_ids)
            await pipe.execute()
