"""The rights look-up other services make at the Identity Server, cached briefly.

A call's credentials (from the interceptor's context variable) are forwarded to
the IS's ``<Entity>Access.ListRights``; the answer is cached per credential and
entity for ``ttl`` seconds, or until the IS publishes an event that can take rights away
(:meth:`RightsClient.follow_invalidations`). Cluster peers holding the cluster key have every right.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import grpc
import structlog

from lorastack.errors import LorastackError, define
from lorastack.rights.table import expand
from lorastack.rpc.auth import TENANT_KEY, Credentials, current_credentials, current_tenant, is_valid_cluster_key
from ttn.lorawan.v3 import (
    application_services_pb2_grpc,
    client_services_pb2_grpc,
    gateway_services_pb2_grpc,
    identifiers_pb2,
    organization_services_pb2_grpc,
    rights_pb2,
    user_services_pb2_grpc,
)

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from lorastack.events import EventBus

__all__ = ["RightsClient", "errors", "takes_rights_away"]

_log = structlog.get_logger(__name__)


def takes_rights_away(event_name: str) -> bool:
    """Whether an IS event may shrink someone's rights: every change but the creation of something new.

    Creating an entity or key grants nothing that a cached answer already holds, so caches survive it;
    updates and deletes of keys, collaborators, entities, tokens and sessions all drop them.
    """
    return event_name.startswith("is.") and not event_name.endswith(".create")


class errors:
    """Errors of rights checks (The Things Stack's names)."""

    no_rights = define("pkg/auth/rights", "no_rights", "no rights for {kind} `{id}`", grpc.StatusCode.PERMISSION_DENIED)
    insufficient = define(
        "pkg/auth/rights",
        "insufficient_rights",
        "insufficient rights for {kind} `{id}`: missing {missing}",
        grpc.StatusCode.PERMISSION_DENIED,
    )
    unauthenticated = define(
        "pkg/auth/rights", "unauthenticated", "no credentials to check rights with", grpc.StatusCode.UNAUTHENTICATED
    )
    identity_server_unavailable = define(
        "pkg/auth/rights",
        "identity_server_unavailable",
        "the identity server cannot be reached to check rights",
        grpc.StatusCode.UNAVAILABLE,
    )


def _stub_and_ids(kind: str, entity_id: str, channel: grpc.aio.Channel) -> tuple[Any, Any]:
    if kind == "application":
        return application_services_pb2_grpc.ApplicationAccessStub(channel), identifiers_pb2.ApplicationIdentifiers(
            application_id=entity_id
        )
    if kind == "gateway":
        return gateway_services_pb2_grpc.GatewayAccessStub(channel), identifiers_pb2.GatewayIdentifiers(
            gateway_id=entity_id
        )
    if kind == "organization":
        return organization_services_pb2_grpc.OrganizationAccessStub(channel), identifiers_pb2.OrganizationIdentifiers(
            organization_id=entity_id
        )
    if kind == "user":
        return user_services_pb2_grpc.UserAccessStub(channel), identifiers_pb2.UserIdentifiers(user_id=entity_id)
    if kind == "client":
        return client_services_pb2_grpc.ClientAccessStub(channel), identifiers_pb2.ClientIdentifiers(
            client_id=entity_id
        )
    raise ValueError(f"unknown entity kind {kind!r}")


class RightsClient:
    """``await rights.require("application", app_id, RIGHT_APPLICATION_DEVICES_READ)``."""

    def __init__(
        self,
        identity_server: Callable[[], grpc.aio.Channel | None],
        *,
        cluster_keys: Sequence[bytes] = (),
        ttl: float = 10.0,
        max_entries: int = 10_000,
    ) -> None:
        self._identity_server = identity_server
        self._cluster_keys = tuple(cluster_keys)
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[tuple[bytes, str, str, str], tuple[float, frozenset[int]]] = {}
        # Bumped by every invalidation, so an answer fetched across one is not cached.
        self._generation = 0

    def invalidate(self) -> None:
        """Forget every cached answer (after keys or collaborators change)."""
        self._cache.clear()
        self._generation += 1

    async def follow_invalidations(self, bus: EventBus, *, ready: asyncio.Event | None = None) -> None:
        """Drop the cache whenever the IS reports a change that may take rights away; runs until cancelled.

        Services start it as a background task (``component.spawn``). It listens with a plain NATS
        subscription, not a JetStream consumer: only changes from now on matter, and fast.
        """
        subject = f"{bus.scheme.prefix}.*.*.*.*.is.>"

        async def on_message(msg: Msg) -> None:
            try:
                name = bus.scheme.parse(msg.subject)[2]
            except ValueError:
                return
            if takes_rights_away(name):
                self.invalidate()

        sub = await bus.client.subscribe(subject, cb=on_message)
        try:
            await bus.client.flush()
            # Changes made while the subscription was being set up may be missed, so start clean.
            self.invalidate()
            if ready is not None:
                ready.set()
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            _log.debug("rights invalidation stopped")

    async def rights(self, kind: str, entity_id: str, credentials: Credentials | None = None) -> frozenset[int]:
        """The expanded rights the caller holds on one entity."""
        creds = credentials if credentials is not None else current_credentials.get()
        if creds is None:
            raise errors.unauthenticated()
        if is_valid_cluster_key(creds, self._cluster_keys):
            return expand([rights_pb2.RIGHT_ALL])
        tenant = current_tenant.get() or ""
        key = (hashlib.sha256(f"{creds.kind}:{creds.value}".encode()).digest(), tenant, kind, entity_id)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self._generation
        held = await self._fetch(kind, entity_id, creds, tenant)
        if generation != self._generation:
            return held
        if len(self._cache) >= self._max_entries:
            self._cache.clear()
        self._cache[key] = (now + self._ttl, held)
        return held

    async def _fetch(self, kind: str, entity_id: str, creds: Credentials, tenant: str) -> frozenset[int]:
        channel = self._identity_server()
        if channel is None:
            raise errors.identity_server_unavailable()
        stub, ids = _stub_and_ids(kind, entity_id, channel)
        scheme = {"bearer": "Bearer", "tenant_admin": "TenantAdminKey", "cluster": "ClusterKey"}[creds.kind]
        try:
            metadata = [("authorization", f"{scheme} {creds.value}")]
            if tenant:
                metadata.append((TENANT_KEY, tenant))
            answer = await stub.ListRights(ids, metadata=tuple(metadata), timeout=5)
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise errors.identity_server_unavailable() from err
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                return frozenset()
            raise LorastackError(
                define("pkg/auth/rights", "rights_lookup_failed", "{message}", err.code()),
                {"message": err.details() or "rights look-up failed"},
            ) from err
        return expand(answer.rights)

    async def require(self, kind: str, entity_id: str, *needed: int) -> frozenset[int]:
        """Raise PERMISSION_DENIED unless the caller holds every right in ``needed``."""
        held = await self.rights(kind, entity_id)
        if not held:
            raise errors.no_rights(kind=kind, id=entity_id)
        missing = [n for n in needed if n not in held]
        if missing:
            names = ", ".join(rights_pb2.Right.Name(m) for m in missing)  # type: ignore[arg-type]
            raise errors.insufficient(kind=kind, id=entity_id, missing=names)
        return held
