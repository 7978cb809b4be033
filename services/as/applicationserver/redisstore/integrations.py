"""Webhooks and pub/subs in Redis: one hash per application, integration id to the serialized message, and
a set of the application keys that have any, for the tasks that act on all of them."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from redis.asyncio import Redis

from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import applicationserver_pubsub_pb2, applicationserver_web_pb2

__all__ = ["RedisPubSubStore", "RedisWebhookStore"]

M = TypeVar("M", bound=Message)


class _HashStore(Generic[M]):
    def __init__(self, redis: Redis, keys: Keys, kind: str, cls: type[M]) -> None:
        self._r: Any = redis  # redis-py types every reply as bytes | str; ours are bytes
        self._keys = keys
        self._kind = kind
        self._cls = cls

    def _key(self, app_key: str) -> str:
        return self._keys.of(self._kind, app_key)

    def _index(self) -> str:
        return self._keys.of(f"{self._kind}-apps")

    async def app_keys(self) -> list[str]:
        return sorted(m.decode() for m in await self._r.smembers(self._index()))

    async def get(self, app_key: str, item_id: str) -> M | None:
        raw = await self._r.hget(self._key(app_key), item_id)
        return None if raw is None else self._cls.FromString(raw)

    async def list(self, app_key: str) -> list[M]:
        raw = await self._r.hgetall(self._key(app_key))
        return [self._cls.FromString(raw[k]) for k in sorted(raw)]

    async def _put(self, app_key: str, item_id: str, item: M) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(app_key), item_id, item.SerializeToString())
            pipe.sadd(self._index(), app_key)
            await pipe.execute()

    async def delete(self, app_key: str, item_id: str) -> bool:
        removed = bool(await self._r.hdel(self._key(app_key), item_id))
        if removed and not await self._r.hlen(self._key(app_key)):
            await self._r.srem(self._index(), app_key)
        return removed


class RedisWebhookStore(_HashStore[applicationserver_web_pb2.ApplicationWebhook]):
    def __init__(self, redis: Redis, keys: Keys) -> None:
        super().__init__(redis, keys, "webhook", applicationserver_web_pb2.ApplicationWebhook)

    async def set(self, app_key: str, webhook: applicationserver_web_pb2.ApplicationWebhook) -> None:
        await self._put(app_key, webhook.ids.webhook_id, webhook)


class RedisPubSubStore(_HashStore[applicationserver_pubsub_pb2.ApplicationPubSub]):
    def __init__(self, redis: Redis, keys: Keys) -> None:
        super().__init__(redis, keys, "pubsub", applicationserver_pubsub_pb2.ApplicationPubSub)

    async def set(self, app_key: str, pubsub: applicationserver_pubsub_pb2.ApplicationPubSub) -> None:
        await self._put(app_key, pubsub.ids.pub_sub_id, pubsub)
