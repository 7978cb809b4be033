"""The event bus: a JetStream stream of recent events, core NATS publishes, filtered subscriptions.

Publishing is a core NATS publish onto a subject the stream captures, so the data path
never waits for a JetStream acknowledgement; see design.md section 5.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import nats
import structlog
from google.protobuf.message import Message
from nats.aio.client import Client
from nats.js import api
from nats.js.errors import NotFoundError
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from ttn.lorawan.v3 import events_pb2
from ttn.lorawan.v3 import identifiers_pb2 as ids_pb

from .definitions import EventDefinition
from .event import encode, new_event
from .identifiers import AnyIdentifiers, EntityRef, as_ref, validate_id
from .metrics import EventMetrics, metrics_for
from .subjects import SubjectScheme
from .subscriber import EventSubscription

__all__ = ["EventBus", "StreamSettings"]

_log = structlog.get_logger(__name__)

_SUBJECT_CACHE_SIZE = 50_000


def _cache_key(ids: AnyIdentifiers) -> object:
    """What decides the subject of ``ids``, hashable; protos are not."""
    if isinstance(ids, ids_pb.EndDeviceIdentifiers):
        return ("dev", ids.application_ids.application_id, ids.device_id, ids.join_eui, ids.dev_eui)
    if isinstance(ids, EntityRef):
        return ids
    return (type(ids).__name__, ids.SerializeToString(deterministic=True))


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """How much history the stream keeps; whichever limit hits first drops the oldest events."""

    max_age_seconds: float = 24 * 3600.0
    max_msgs: int = 1_000_000
    max_bytes: int = 1 << 30
    memory: bool = False
    replicas: int = 1


class EventBus:
    """Publishes events and opens subscriptions on one stream under one subject prefix."""

    def __init__(
        self,
        nats_client: Client | str,
        *,
        stream: str = "LORASTACK_EVENTS",
        subject_prefix: str = "lorastack.events",
        origin: str | None = None,
        tenant_id: str = "default",
        settings: StreamSettings | None = None,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._url = nats_client if isinstance(nats_client, str) else None
        self._nc = None if isinstance(nats_client, str) else nats_client
        self.stream = stream
        self.scheme = SubjectScheme(subject_prefix)
        self.origin = origin if origin is not None else socket.gethostname()
        self.tenant_id = validate_id(tenant_id, "tenant id")
        self.settings = settings or StreamSettings()
        self.metrics: EventMetrics = metrics_for(registry)
        self._subjects: dict[tuple[object, ...], list[str]] = {}
        self._published: dict[str, Counter] = {}

    @property
    def client(self) -> Client:
        if self._nc is None:
            raise RuntimeError("event bus not started")
        return self._nc

    async def start(self) -> None:
        """Connect when given a URL, then create or update the stream."""
        if self._nc is None:
            assert self._url is not None
            self._nc = await nats.connect(self._url, name=f"lorastack-events@{self.origin}")
        await self.ensure_stream()

    async def close(self) -> None:
        """Close the connection if the bus opened it; a borrowed client stays open."""
        if self._url is not None and self._nc is not None:
            await self._nc.drain()
            self._nc = None

    async def __aenter__(self) -> EventBus:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def ensure_stream(self) -> api.StreamInfo:
        """Create the stream, or bring an existing one's limits to the settings."""
        config = api.StreamConfig(
            name=self.stream,
            subjects=[self.scheme.stream_subject],
            retention=api.RetentionPolicy.LIMITS,
            discard=api.DiscardPolicy.OLD,
            max_age=self.settings.max_age_seconds,
            max_msgs=self.settings.max_msgs,
            max_bytes=self.settings.max_bytes,
            storage=api.StorageType.MEMORY if self.settings.memory else api.StorageType.FILE,
            num_replicas=self.settings.replicas,
        )
        jsm = self.client.jsm()
        try:
            await jsm.stream_info(self.stream)
        except NotFoundError:
            return await jsm.add_stream(config)
        return await jsm.update_stream(config)

    async def delete_stream(self) -> None:
        """Remove the stream and its history (tests and tear-down)."""
        await self.client.jsm().delete_stream(self.stream)

    async def publish(
        self,
        definition: EventDefinition,
        *,
        identifiers: Sequence[AnyIdentifiers],
        data: Message | None = None,
        correlation_ids: Sequence[str] = (),
        context: Mapping[str, bytes] | None = None,
        tenant_id: str | None = None,
        authentication: events_pb2.Event.Authentication | None = None,
        remote_ip: str = "",
        user_agent: str = "",
    ) -> events_pb2.Event | None:
        """Publish one event; never raises, a failure is logged and counted.

        Returns the event as published, or None when publishing failed.
        """
        try:
            if not identifiers:
                raise ValueError("an event needs at least one identifier")
            subjects = self._subjects_of(tenant_id or self.tenant_id, identifiers, definition.name)
            event = new_event(
                definition,
                identifiers=identifiers,
                origin=self.origin,
                data=data,
                correlation_ids=correlation_ids,
                context=context,
                authentication=authentication,
                remote_ip=remote_ip,
                user_agent=user_agent,
            )
            payload = encode(event)
            for subject in subjects:
                await self.client.publish(subject, payload)
        except Exception as exc:
            self.metrics.publish_errors.labels(definition.name).inc()
            _log.warning("event publish failed", event_name=definition.name, error=repr(exc))
            return None
        counter = self._published.get(definition.name)
        if counter is None:
            counter = self._published[definition.name] = self.metrics.published.labels(definition.name)
        counter.inc()
        return event

    def _subjects_of(self, tenant_id: str, identifiers: Sequence[AnyIdentifiers], name: str) -> list[str]:
        # Validating IDs and building subjects is most of the cost of an event; the same devices and
        # gateways publish again and again, so the subjects are remembered per identifiers and name.
        key = (tenant_id, name, *map(_cache_key, identifiers))
        subjects = self._subjects.get(key)
        if subjects is None:
            refs = [as_ref(ids) for ids in identifiers]
            subjects = self.scheme.subjects(tenant_id, refs, name)
            if len(self._subjects) >= _SUBJECT_CACHE_SIZE:
                self._subjects.clear()  # a crude bound: refilling costs one miss per entity
            self._subjects[key] = subjects
        return subjects

    def subscribe(
        self,
        identifiers: Sequence[AnyIdentifiers] = (),
        names: Sequence[str] = (),
        *,
        tail: int | None = None,
        after: datetime | None = None,
        tenant_id: str | None = None,
    ) -> EventSubscription:
        """Events about any of ``identifiers`` whose name matches any of ``names``.

        ``tail`` replays up to that many stored events per filter subject first, ``after``
        those since that time; with neither, only new events. Use as ``async with`` (or
        iterate and call ``aclose()``) so the server-side consumers are removed.
        """
        tenant = tenant_id or self.tenant_id
        return EventSubscription(
            self.client,
            stream=self.stream,
            scheme=self.scheme,
            filters=self.scheme.filters(tenant, [as_ref(ids) for ids in identifiers], names),
            names=names,
            tail=tail,
            after=after,
            metrics=self.metrics,
        )
