"""Pub/sub delivery: every message kind a pub/sub enables is published to ``{base_topic}{sep}{topic}``
on the user's NATS server (``.`` separator) or MQTT server (``/`` separator, amqtt client)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse, urlunparse

import nats
import structlog
from amqtt.client import MQTTClient  # type: ignore[import-untyped]

from applicationserver.messages import kind_of, to_json_bytes
from applicationserver.observability import ASMetrics
from applicationserver.store import PubSubStore
from ttn.lorawan.v3 import applicationserver_pubsub_pb2, messages_pb2

__all__ = ["PubSubDelivery", "mqtt_uri", "topic_for"]

log = structlog.get_logger(logger_name="applicationserver.pubsub")

PubSub = applicationserver_pubsub_pb2.ApplicationPubSub
ATTEMPTS = 3


def topic_for(pubsub: PubSub, kind: str) -> str | None:
    """Where one message kind goes, or None when the pub/sub does not publish that kind."""
    if kind not in PubSub.DESCRIPTOR.fields_by_name or not pubsub.HasField(kind):  # type: ignore[arg-type]
        return None
    sep = "." if pubsub.WhichOneof("provider") == "nats" else "/"
    sub: str = getattr(pubsub, kind).topic
    parts = [p for p in (pubsub.base_topic.strip(sep), sub.strip(sep)) if p]
    return sep.join(parts) if parts else None


class _Connection:
    """One open connection per pub/sub, replaced when its settings change."""

    def __init__(self, fingerprint: bytes, client: Any, provider: str) -> None:
        self.fingerprint = fingerprint
        self.client = client
        self.provider = provider

    async def publish(self, topic: str, body: bytes, qos: int) -> None:
        if self.provider == "nats":
            await self.client.publish(topic, body)
        else:
            await self.client.publish(topic, body, qos=qos)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.provider == "nats":
                await self.client.close()
            else:
                await self.client.disconnect()


class PubSubDelivery:
    def __init__(self, *, store: PubSubStore, metrics: ASMetrics, backoff: float = 0.5) -> None:
        self._store = store
        self._metrics = metrics
        self._backoff = backoff
        self._connections: dict[tuple[str, str], _Connection] = {}

    async def stop(self) -> None:
        for conn in self._connections.values():
            await conn.close()
        self._connections.clear()

    async def deliver(self, key: str, up: messages_pb2.ApplicationUp) -> None:
        await self.deliver_batch(key, [up])

    async def deliver_batch(self, key: str, ups: Sequence[messages_pb2.ApplicationUp]) -> None:
        """Each message in order to every pub/sub that wants its kind; the pub/subs are read once."""
        items = await self._store.list(key)
        if not items:
            return
        for up in ups:
            kind = kind_of(up)
            if kind is None:
                continue
            targets = [(item, topic) for item in items if (topic := topic_for(item, kind)) is not None]
            if targets:
                await asyncio.gather(*(self._send(key, item, topic, up) for item, topic in targets))

    async def _send(self, key: str, item: PubSub, topic: str, up: messages_pb2.ApplicationUp) -> None:
        body = up.SerializeToString() if item.format == "protobuf" else to_json_bytes(up)
        qos = int(item.mqtt.publish_qos) if item.WhichOneof("provider") == "mqtt" else 0
        delay = self._backoff
        for attempt in range(ATTEMPTS):
            try:
                conn = await self._connection(key, item)
                await conn.publish(topic, body, min(qos, 1))
                self._metrics.delivered.labels("pubsub").inc()
                return
            except Exception as err:
                await self._drop_connection(key, item)
                if attempt + 1 == ATTEMPTS:
                    self._metrics.delivery_failed.labels("pubsub").inc()
                    log.info("pub/sub publish failed", pub_sub_id=item.ids.pub_sub_id, error=repr(err))
                    return
                await asyncio.sleep(delay)
                delay *= 2

    async def _drop_connection(self, key: str, item: PubSub) -> None:
        conn = self._connections.pop((key, item.ids.pub_sub_id), None)
        if conn is not None:
            await conn.close()

    async def _connection(self, key: str, item: PubSub) -> _Connection:
        provider = item.WhichOneof("provider") or ""
        settings = getattr(item, provider) if provider else None
        fingerprint = settings.SerializeToString(deterministic=True) if settings is not None else b""
        existing = self._connections.get((key, item.ids.pub_sub_id))
        if existing is not None and existing.fingerprint == fingerprint:
            return existing
        if existing is not None:
            await existing.close()
        if provider == "nats":
            client: Any = await nats.connect(item.nats.server_url, allow_reconnect=False, connect_timeout=5)
        elif provider == "mqtt":
            client = MQTTClient(client_id=item.mqtt.client_id or None, config={"auto_reconnect": False})
            await client.connect(mqtt_uri(item.mqtt))
        else:
            raise ValueError(f"unsupported provider {provider!r}")
        conn = _Connection(fingerprint, client, provider)
        self._connections[(key, item.ids.pub_sub_id)] = conn
        return conn


def mqtt_uri(settings: PubSub.MQTTProvider) -> str:
    parsed = urlparse(settings.server_url if "://" in settings.server_url else f"mqtt://{settings.server_url}")
    scheme = "mqtts" if settings.use_tls else (parsed.scheme or "mqtt")
    netloc = parsed.hostname or ""
    if parsed.port:
        netloc = f"{netloc}:{parsed.port}"
    if settings.username:
        netloc = (
            f"{settings.username}:{settings.password}@{netloc}"
            if settings.password
            else f"{settings.username}@{netloc}"
        )
    return urlunparse((scheme, netloc, parsed.path, "", "", ""))
