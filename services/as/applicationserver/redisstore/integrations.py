"""Webhooks and pub/subs in Redis: one hash per application, integration id to the serialized message."""

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

    def _key(self, app_id: str) -> str:
        return self._keys.of(self._kind, app_id)

    async def get(self, app_id: str, item_id: str) -> M | None:
        raw = await self._r.hget(self._key(app_id), item_id)
        return None if raw is None else self._cls.FromString(raw)

    async def list(self, app_id: str) -> list[M]:
        raw = await self._r.hgetall(self._key(app_id))
        return [self._cls.FromString(raw[k]) for k in sorted(raw)]

    async def _put(self, app_id: str, item_id: str, item: M) -> None:
        await self._r.hset(self._key(app_id), item_id, item.SerializeToString())

    async def delete(self, app_id: str, item_id: str) -> bool:
        return bool(await self._r.hdel(self._key(app_id), item_id))


class RedisWebhookStore(_HashStore[applicationserver_web_pb2.ApplicationWebhook]):
    def __init__(self, redis: Redis, keys: Keys) -> None:
        super().__init__(redis, keys, "webhook", applicationserver_web_pb2.ApplicationWebhook)

    async def set(self, webhook: applicationserver_web_pb2.ApplicationWebhook) -> None:
        await self._put(webhook.ids.application_ids.application_id, webhook.ids.webhook_id, webhook)


class RedisPubSubStore(_HashStore[applicationserver_pubsub_pb2.ApplicationPubSub]):
    def __init__(self, redis: Redis, keys: Keys) -> None:
        super().__init__(redis, keys, "pubsub", applicationserver_pubsub_pb2.ApplicationPubSub)

    async def set(self, pubsub: applicationserver_pubsub_pb2.ApplicationPubSub) -> None:
        await self._put(pubsub.ids.application_ids.application_id, pubsub.ids.pub_sub_id, pubsub)
