"""Pub/sub downlinks: for each pub/sub with a ``downlink_push`` or ``downlink_replace`` topic the AS subscribes
on the user's NATS server (in a queue group, so that one replica takes each message) or MQTT server, and queues
what arrives there, a DownlinkQueueRequest in the pub/sub's format, as The Things Stack's pub/sub does."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import nats
import structlog
from amqtt.client import MQTTClient  # type: ignore[import-untyped]

from applicationserver.observability import ASMetrics
from applicationserver.pubsub import mqtt_uri, topic_for
from applicationserver.store import PubSubStore
from applicationserver.tenancy import Tenancy
from lorastack.errors import LorastackError
from lorastack.httpapi import CodecError, from_json
from ttn.lorawan.v3 import applicationserver_pubsub_pb2, identifiers_pb2, messages_pb2

__all__ = ["PubSubDownlinks", "parse_request"]

log = structlog.get_logger(logger_name="applicationserver.pubsub")

PubSub = applicationserver_pubsub_pb2.ApplicationPubSub
RESCAN_SECONDS = 5.0
OPEN_TIMEOUT_SECONDS = 5.0


class Enqueue(Protocol):
    async def enqueue(
        self,
        key: str,
        ids: identifiers_pb2.EndDeviceIdentifiers,
        downlinks: Sequence[messages_pb2.ApplicationDownlink],
        *,
        replace: bool,
    ) -> None: ...


def parse_request(body: bytes, fmt: str) -> messages_pb2.DownlinkQueueRequest:
    """A downlink queue operation as the pub/sub's format encodes it; ValueError when it does not parse."""
    if fmt == "protobuf":
        return messages_pb2.DownlinkQueueRequest.FromString(body)
    try:
        parsed = from_json(messages_pb2.DownlinkQueueRequest, json.loads(body or b"{}"))
    except CodecError as err:
        raise ValueError(str(err)) from None
    request: messages_pb2.DownlinkQueueRequest = parsed  # type: ignore[assignment]
    return request


def _fingerprint(item: PubSub) -> bytes:
    """What a subscription depends on; other changes (timestamps, uplink topics) leave it open."""
    kept = PubSub(format=item.format, base_topic=item.base_topic)
    for name in ("downlink_push", "downlink_replace", "nats", "mqtt"):
        if item.HasField(name):
            getattr(kept, name).CopyFrom(getattr(item, name))
    return kept.SerializeToString(deterministic=True)


@dataclass
class _Active:
    fingerprint: bytes
    close: Callable[[], Awaitable[None]]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class PubSubDownlinks:
    def __init__(
        self,
        *,
        store: PubSubStore,
        downlinks: Enqueue,
        tenancy: Tenancy,
        metrics: ASMetrics,
        queue_group: str = "lorastack-as-pubsub",
        rescan: float = RESCAN_SECONDS,
    ) -> None:
        self._store = store
        self._downlinks = downlinks
        self._tenancy = tenancy
        self._metrics = metrics
        self._group = queue_group
        self._rescan = rescan
        self._active: dict[tuple[str, str], _Active] = {}
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """Keep the subscriptions in line with the store; pub/subs set on other replicas are found by rescanning."""
        try:
            while True:
                try:
                    await self.reconcile()
                except Exception:
                    log.exception("pub/sub downlink rescan failed")
                await asyncio.sleep(self._rescan)
        finally:
            await self.close()

    async def close(self) -> None:
        async with self._lock:
            for name in list(self._active):
                await self._stop(name)

    async def reconcile(self, app_key: str | None = None) -> None:
        async with self._lock:
            keys = [app_key] if app_key is not None else await self._store.app_keys()
            seen: set[tuple[str, str]] = set()
            for key in {*keys, *(k for k, _ in self._active if app_key is None)}:
                for item in await self._store.list(key):
                    if topic_for(item, "downlink_push") or topic_for(item, "downlink_replace"):
                        seen.add((key, item.ids.pub_sub_id))
                        await self._ensure(key, item)
            for name in [n for n in self._active if n not in seen and (app_key is None or n[0] == app_key)]:
                await self._stop(name)

    async def _ensure(self, key: str, item: PubSub) -> None:
        name = (key, item.ids.pub_sub_id)
        fingerprint = _fingerprint(item)
        current = self._active.get(name)
        if current is not None and current.fingerprint == fingerprint:
            return
        if current is not None:
            await self._stop(name)
        try:
            active = await asyncio.wait_for(self._open(key, item), OPEN_TIMEOUT_SECONDS)
        except Exception as err:
            # Tried again on the next rescan.
            log.info("pub/sub downlink subscription failed", pub_sub_id=item.ids.pub_sub_id, error=repr(err))
            return
        active.fingerprint = fingerprint
        self._active[name] = active

    async def _stop(self, name: tuple[str, str]) -> None:
        active = self._active.pop(name, None)
        if active is None:
            return
        for task in active.tasks:
            task.cancel()
        for task in active.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await active.close()

    async def _open(self, key: str, item: PubSub) -> _Active:
        topics = [(t, replace) for replace in (False, True) if (t := topic_for(item, _kind(replace))) is not None]
        if item.WhichOneof("provider") == "nats":
            return await self._open_nats(key, item, topics)
        if item.WhichOneof("provider") == "mqtt":
            return await self._open_mqtt(key, item, topics)
        raise ValueError(f"unsupported provider {item.WhichOneof('provider')!r}")

    async def _open_nats(self, key: str, item: PubSub, topics: list[tuple[str, bool]]) -> _Active:
        client: Any = await nats.connect(item.nats.server_url, connect_timeout=5, max_reconnect_attempts=-1)
        for topic, replace in topics:

            async def on_message(msg: Any, replace: bool = replace) -> None:
                await self.handle(key, item, replace, bytes(msg.data))

            await client.subscribe(topic, queue=self._group, cb=on_message)
        await client.flush()
        return _Active(b"", client.close)

    async def _open_mqtt(self, key: str, item: PubSub, topics: list[tuple[str, bool]]) -> _Active:
        # The publishing connection holds the configured client id; a second one with the same id would
        # push it off the broker.
        client_id = f"{item.mqtt.client_id}-down" if item.mqtt.client_id else None
        client = MQTTClient(client_id=client_id, config={"auto_reconnect": True})
        await client.connect(mqtt_uri(item.mqtt))
        qos = min(int(item.mqtt.subscribe_qos), 1)
        await client.subscribe([(topic, qos) for topic, _ in topics])
        replace_topics = {topic for topic, replace in topics if replace}

        async def receive() -> None:
            while True:
                message = await client.deliver_message()
                if message is None:
                    continue
                body = bytes(message.data or b"")
                await self.handle(key, item, message.topic in replace_topics, body)

        task = asyncio.create_task(receive(), name=f"pubsub-down-{item.ids.pub_sub_id}")
        return _Active(b"", client.disconnect, [task])

    async def handle(self, key: str, item: PubSub, replace: bool, body: bytes) -> None:
        """One message from a downlink topic: queue its downlinks, when it names a device of this application."""
        app_id = self._tenancy.split(key)[0]
        try:
            request = parse_request(body, item.format or "json")
        except ValueError as err:
            log.info("pub/sub downlink does not parse", pub_sub_id=item.ids.pub_sub_id, error=str(err)[:200])
            self._metrics.downlinks.labels("invalid").inc()
            return
        ids = request.end_device_ids
        if ids.application_ids.application_id != app_id or not ids.device_id:
            log.info("pub/sub downlink for another application", pub_sub_id=item.ids.pub_sub_id)
            self._metrics.downlinks.labels("invalid").inc()
            return
        try:
            await self._downlinks.enqueue(key, ids, list(request.downlinks), replace=replace)
        except LorastackError as err:
            # The downlink service has already reported it on down/failed.
            log.info("pub/sub downlink refused", pub_sub_id=item.ids.pub_sub_id, error=str(err))


def _kind(replace: bool) -> str:
    return "downlink_replace" if replace else "downlink_push"
