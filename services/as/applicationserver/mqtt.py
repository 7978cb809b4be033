"""The application MQTT server (The Things Stack's MQTT integration) on an embedded amqtt broker.

Clients log in as ``{application id}`` (default tenant) or ``{application id}@{tenant id}`` with an API key
as password; they subscribe under ``v3/{username}/devices/{device id}/...`` and publish downlinks to
``.../down/push`` and ``.../down/replace``. The broker's plugins call back into :class:`MqttFrontend`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

import structlog
from amqtt.broker import Broker  # type: ignore[import-untyped]

from applicationserver.distribution import LiveFanout
from applicationserver.downlink import DownlinkService
from applicationserver.messages import TOPIC_SUFFIXES, kind_of, to_json_bytes
from applicationserver.observability import ASMetrics
from applicationserver.tenancy import Tenancy, TenantRights
from lorastack.errors import LorastackError
from lorastack.httpapi import CodecError, from_json
from lorastack.rpc.auth import Credentials
from ttn.lorawan.v3 import identifiers_pb2, messages_pb2, rights_pb2

__all__ = ["MqttFrontend", "Principal", "parse_username"]

log = structlog.get_logger(logger_name="applicationserver.mqtt")

_READ = rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ
_WRITE = rights_pb2.RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE
_PLUGINS = "applicationserver.mqtt_plugins"


@dataclass(frozen=True, slots=True)
class Principal:
    """A logged-in client: its application key, the topic prefixes its username allows, its rights."""

    app_key: str
    prefixes: tuple[str, ...]
    rights: frozenset[int]


def parse_username(username: str, default_tenant: str) -> tuple[str, str] | None:
    """``app`` or ``app@tenant`` -> (app id, tenant id)."""
    app_id, _, tenant = username.partition("@")
    if not app_id or "/" in username or "+" in username or "#" in username:
        return None
    return app_id, tenant or default_tenant


class MqttFrontend:
    def __init__(
        self,
        *,
        address: str,
        rights: TenantRights,
        fanout: LiveFanout,
        downlinks: DownlinkService,
        metrics: ASMetrics,
        tenancy: Tenancy,
    ) -> None:
        self._address = address
        self._rights = rights
        self._fanout = fanout
        self._downlinks = downlinks
        self._metrics = metrics
        self._tenancy = tenancy
        self._principals: dict[str, Principal] = {}
        self._broker: Any = None
        self._outbox: asyncio.Queue[tuple[str, messages_pb2.ApplicationUp]] = asyncio.Queue(10_000)
        self._stop_listening: Any = None
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @staticmethod
    def topic_root(app_key: str) -> str:
        """``v3/{application id}`` in the default tenant, ``v3/{application id}@{tenant id}`` in others."""
        return f"v3/{app_key}"

    async def start(self) -> None:
        host, _, port = self._address.rpartition(":")
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{host or '0.0.0.0'}:{port}"}},
            "plugins": {
                f"{_PLUGINS}.ApplicationAuthPlugin": {"frontend": self},
                f"{_PLUGINS}.ApplicationTopicPlugin": {"frontend": self},
            },
        }
        self._broker = Broker(config, plugin_namespace=f"lorastack.as.mqtt.{id(self)}")
        await self._broker.start()
        server = self._broker._servers["default"].instance  # the bound port, when configured as 0
        self.port = server.sockets[0].getsockname()[1] if server is not None and server.sockets else int(port)
        self._stop_listening = self._fanout.add(None, self._enqueue)
        self._pump = asyncio.create_task(self._publish_loop(), name="as-mqtt-publish")
        log.info("application MQTT listening", port=self.port)

    async def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._broker is not None:
            await self._broker.shutdown()

    # Uplinks to subscribers ---------------------------------------------------------------------------

    def _enqueue(self, app_key: str, up: messages_pb2.ApplicationUp) -> None:
        if not self._outbox.full():
            self._outbox.put_nowait((app_key, up))

    async def _publish_loop(self) -> None:
        while True:
            app_key, up = await self._outbox.get()
            suffix = TOPIC_SUFFIXES.get(kind_of(up) or "")
            if suffix is None:
                continue
            topic = f"{self.topic_root(app_key)}/devices/{up.end_device_ids.device_id}/{suffix}"
            try:
                await self._broker.internal_message_broadcast(topic, to_json_bytes(up))
                self._metrics.delivered.labels("mqtt").inc()
            except Exception:
                self._metrics.delivery_failed.labels("mqtt").inc()
                log.exception("MQTT publish failed")

    # Plugin callbacks ------------------------------------------------------------------------------------

    async def authenticate(self, client_id: str, username: str | None, password: str | None) -> bool:
        parsed = parse_username(username or "", self._tenancy.default)
        if parsed is None or not password:
            return False
        try:
            tenant = self._tenancy.tenant(parsed[1])
            app_key = self._tenancy.key(parsed[0], tenant)
            held = await self._rights.rights(tenant, parsed[0], Credentials("bearer", password))
        except LorastackError:
            return False
        if _READ not in held:
            return False
        prefixes = (f"v3/{username}/", f"{self.topic_root(app_key)}/")
        self._principals[client_id] = Principal(app_key, prefixes, held)
        return True

    def forget(self, client_id: str) -> None:
        self._principals.pop(client_id, None)

    def may_subscribe(self, client_id: str, topic: str) -> bool:
        principal = self._principals.get(client_id)
        return principal is not None and topic.startswith(principal.prefixes) and _READ in principal.rights

    def may_publish(self, client_id: str, topic: str) -> bool:
        principal = self._principals.get(client_id)
        if principal is None or _WRITE not in principal.rights or not topic.startswith(principal.prefixes):
            return False
        parts = topic.split("/")
        return len(parts) == 6 and parts[2] == "devices" and parts[4] == "down" and parts[5] in ("push", "replace")

    def downlink_published(self, client_id: str, topic: str, payload: bytes) -> None:
        """A permitted publish to down/push or down/replace: queue it at the NS in the background."""
        principal = self._principals.get(client_id)
        if principal is None or not self.may_publish(client_id, topic):
            return
        parts = topic.split("/")
        task = asyncio.create_task(self._downlink(principal.app_key, parts[3], parts[5] == "replace", payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _downlink(self, app_key: str, dev_id: str, replace: bool, payload: bytes) -> None:
        try:
            body = from_json(messages_pb2.ApplicationDownlinks, json.loads(payload or b"{}"))
        except (ValueError, CodecError) as err:
            log.info("MQTT downlink is not valid JSON", application=app_key, error=str(err))
            return
        app_id = self._tenancy.split(app_key)[0]
        ids = identifiers_pb2.EndDeviceIdentifiers(
            device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id)
        )
        try:
            await self._downlinks.enqueue(app_key, ids, list(body.downlinks), replace=replace)  # type: ignore[attr-defined]
        except LorastackError as err:
            # Already reported on .../down/failed by the downlink service.
            log.info("MQTT downlink refused", application=app_key, device_id=dev_id, error=str(err))
