"""Webhook delivery: one POST per message kind a webhook enables, retried with backoff; a webhook that
keeps failing is marked unhealthy and skipped for a while (The Things Stack's webhook health)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp
import structlog
from google.protobuf.timestamp_pb2 import Timestamp

from applicationserver.messages import kind_of, to_json_bytes
from applicationserver.observability import ASMetrics, Events
from applicationserver.ports import EventPublisher
from applicationserver.store import WebhookStore
from applicationserver.tenancy import Tenancy
from lorastack import events
from ttn.lorawan.v3 import applicationserver_web_pb2, error_pb2, messages_pb2

__all__ = ["FORMATS", "WebhookDelivery"]

log = structlog.get_logger(logger_name="applicationserver.webhooks")

Webhook = applicationserver_web_pb2.ApplicationWebhook
FORMATS = {"json": "JSON", "protobuf": "Protocol Buffers"}
_CONTENT_TYPES = {"json": "application/json", "protobuf": "application/octet-stream"}


class WebhookDelivery:
    def __init__(
        self,
        *,
        store: WebhookStore,
        publisher: EventPublisher,
        metrics: ASMetrics,
        tenancy: Tenancy,
        timeout: float = 5.0,
        retries: int = 5,
        backoff: float = 0.5,
        unhealthy_attempts: int = 20,
        unhealthy_retry: float = 60.0,
        public_url: str = "",
    ) -> None:
        self._tenancy = tenancy
        self._store = store
        self._events = publisher
        self._metrics = metrics
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._unhealthy_attempts = unhealthy_attempts
        self._unhealthy_retry = unhealthy_retry
        self._public_url = public_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def deliver(self, key: str, up: messages_pb2.ApplicationUp) -> None:
        await self.deliver_batch(key, [up])

    async def deliver_batch(self, key: str, ups: Sequence[messages_pb2.ApplicationUp]) -> None:
        """Each message in order to every webhook that wants its kind; the webhooks are read once."""
        hooks = await self._store.list(key)
        if not hooks:
            return
        for up in ups:
            kind = kind_of(up)
            if kind is None:
                continue
            wanted = [h for h in hooks if kind in Webhook.DESCRIPTOR.fields_by_name and h.HasField(kind)]  # type: ignore[arg-type]
            if wanted:
                await asyncio.gather(*(self._send(key, hook, kind, up) for hook in wanted))

    def _suspended(self, hook: Webhook) -> bool:
        if hook.health_status.WhichOneof("status") != "unhealthy":
            return False
        bad = hook.health_status.unhealthy
        if bad.failed_attempts < self._unhealthy_attempts:
            return False
        # An unhealthy webhook gets one attempt per retry interval, to notice when it is back.
        return time.time() - bad.last_failed_attempt_at.ToSeconds() < self._unhealthy_retry

    def _request(self, hook: Webhook, kind: str, up: messages_pb2.ApplicationUp) -> tuple[str, bytes, dict[str, str]]:
        path: str = getattr(hook, kind).path
        base = hook.base_url
        url = base.rstrip("/") + "/" + path.lstrip("/") if path else base
        fmt = hook.format or "json"
        body = up.SerializeToString() if fmt == "protobuf" else to_json_bytes(up)
        headers = dict(hook.headers)
        headers["Content-Type"] = _CONTENT_TYPES.get(fmt, "application/json")
        if hook.downlink_api_key:
            headers["X-Downlink-Apikey"] = hook.downlink_api_key
            if self._public_url:
                ids = up.end_device_ids
                app_id = ids.application_ids.application_id
                device = f"{self._public_url}/api/v3/as/applications/{app_id}/devices/{ids.device_id}"
                headers["X-Downlink-Push"] = f"{device}/down/push"
                headers["X-Downlink-Replace"] = f"{device}/down/replace"
        return url, body, headers

    async def _send(self, key: str, hook: Webhook, kind: str, up: messages_pb2.ApplicationUp) -> None:
        if self._suspended(hook):
            self._metrics.delivery_failed.labels("webhooks").inc()
            return
        assert self._http is not None, "start() first"
        url, body, headers = self._request(hook, kind, up)
        delay = self._backoff
        failure = ""
        for attempt in range(self._retries + 1):
            try:
                async with self._http.post(url, data=body, headers=headers) as resp:
                    if 200 <= resp.status < 300:
                        self._metrics.delivered.labels("webhooks").inc()
                        await self._healthy(key, hook)
                        return
                    failure = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as err:
                failure = type(err).__name__
            if attempt < self._retries:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self._metrics.delivery_failed.labels("webhooks").inc()
        log.info("webhook failed", webhook_id=hook.ids.webhook_id, reason=failure)
        await self._unhealthy(key, hook, failure)

    async def _healthy(self, key: str, hook: Webhook) -> None:
        if hook.health_status.WhichOneof("status") == "unhealthy":
            current = await self._store.get(key, hook.ids.webhook_id)
            if current is not None:
                current.health_status.healthy.SetInParent()
                await self._store.set(key, current)

    async def _unhealthy(self, key: str, hook: Webhook, reason: str) -> None:
        details = error_pb2.ErrorDetails(
            namespace="pkg/applicationserver/io/web", name="request", message_format=f"webhook request failed: {reason}"
        )
        app_id, tenant = self._tenancy.split(key)
        identifiers = [events.application(app_id)]
        await self._events.publish(Events.webhook_fail, identifiers=identifiers, data=details, tenant_id=tenant)
        current = await self._store.get(key, hook.ids.webhook_id)
        if current is None:
            return
        bad = current.health_status.unhealthy
        bad.failed_attempts += 1
        now = Timestamp()
        now.GetCurrentTime()
        bad.last_failed_attempt_at.CopyFrom(now)
        bad.last_failed_attempt_details.CopyFrom(details)
        await self._store.set(key, current)
        hook.CopyFrom(current)
        if bad.failed_attempts == self._unhealthy_attempts:
            await self._events.publish(Events.webhook_disable, identifiers=identifiers, data=details, tenant_id=tenant)
