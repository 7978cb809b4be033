"""Tenants in the Application Server: a call names its tenant in the ``x-tenant-id`` metadata (as the IS
reads it), and an application is known by its key, ``{application id}`` in the default tenant and
``{application id}@{tenant id}`` in any other: the MQTT username and topic form, and the storage key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from applicationserver import errors
from lorastack.events import EventBus
from lorastack.events.identifiers import InvalidIdentifierError, validate_id
from lorastack.rights import RightsClient
from lorastack.rpc.auth import Credentials

__all__ = ["TENANT_METADATA", "Tenancy", "TenantRights"]

TENANT_METADATA = "x-tenant-id"


@dataclass(frozen=True, slots=True)
class Tenancy:
    default: str = "default"

    def key(self, app_id: str, tenant: str) -> str:
        """The application key: the application id alone in the default tenant."""
        if "@" in app_id or not app_id:
            # Otherwise `app@other` asked in one tenant would name `app` of tenant `other`.
            raise errors.invalid_application_id(application_id=app_id[:40])
        return app_id if not tenant or tenant == self.default else f"{app_id}@{tenant}"

    def split(self, key: str) -> tuple[str, str]:
        """(application id, tenant id) of an application key."""
        app_id, _, tenant = key.partition("@")
        return app_id, tenant or self.default

    def tenant(self, value: str) -> str:
        """A valid tenant id, or the ``unknown_tenant`` error."""
        tenant = value.strip().lower()
        try:
            return validate_id(tenant, "tenant id")
        except InvalidIdentifierError:
            raise errors.unknown_tenant(tenant_id=tenant[:40]) from None

    def of(self, metadata: Iterable[tuple[str, Any]] | None) -> str:
        """The tenant a call's metadata names, or the default tenant."""
        for name, value in metadata or ():
            if str(name).lower() == TENANT_METADATA:
                return self.tenant(value.decode() if isinstance(value, bytes) else str(value))
        return self.default

    def of_call(self, context: Any) -> str:
        return self.of(context.invocation_metadata() if context is not None else None)

    def app_key(self, context: Any, app_id: str) -> str:
        """The key of the application a call names, in the call's tenant."""
        return self.key(app_id, self.of_call(context))

    def metadata(self, key: str) -> tuple[tuple[str, str], ...]:
        """What calls to other roles about this application carry, so they resolve the same tenant."""
        return ((TENANT_METADATA, self.split(key)[1]),)


class _TenantChannel:
    """A channel whose unary calls carry one tenant's metadata; the rights look-ups go through it."""

    def __init__(self, channel: grpc.aio.Channel, tenant: str) -> None:
        self._channel = channel
        self._extra = ((TENANT_METADATA, tenant),)

    def unary_unary(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        inner = self._channel.unary_unary(*args, **kwargs)
        extra = self._extra

        def call(request: Any, *, metadata: Sequence[tuple[str, str]] | None = None, **rest: Any) -> Any:
            return inner(request, metadata=(*(metadata or ()), *extra), **rest)

        return call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


@dataclass
class TenantRights:
    """One rights cache per tenant, each asking the IS in that tenant, so no answer crosses tenants."""

    identity_server: Callable[[], grpc.aio.Channel | None]
    tenancy: Tenancy
    cluster_keys: Sequence[bytes] = ()
    ttl: float = 10.0
    _clients: dict[str, RightsClient] = field(default_factory=dict)

    def of(self, tenant: str) -> RightsClient:
        client = self._clients.get(tenant)
        if client is None:
            client = RightsClient(self._channel_for(tenant), cluster_keys=self.cluster_keys, ttl=self.ttl)
            self._clients[tenant] = client
        return client

    def _channel_for(self, tenant: str) -> Callable[[], grpc.aio.Channel | None]:
        def channel() -> grpc.aio.Channel | None:
            inner = self.identity_server()
            return None if inner is None else _TenantChannel(inner, tenant)  # type: ignore[return-value]

        return channel

    async def require(self, tenant: str, app_id: str, *needed: int) -> frozenset[int]:
        return await self.of(tenant).require("application", app_id, *needed)

    async def check(self, context: Any, app_id: str, *needed: int) -> str:
        """Rights first, in the call's tenant; the application key of the call, for the domain code."""
        tenant = self.tenancy.of_call(context)
        key = self.tenancy.key(app_id, tenant)
        await self.require(tenant, app_id, *needed)
        return key

    async def rights(self, tenant: str, app_id: str, credentials: Credentials | None = None) -> frozenset[int]:
        return await self.of(tenant).rights("application", app_id, credentials)

    def invalidate(self) -> None:
        for client in list(self._clients.values()):
            client.invalidate()

    async def follow_invalidations(self, bus: EventBus) -> None:
        """Drop every tenant's cache when the IS reports a change that may take rights away (any tenant's
        subjects: a change in one tenant costs the others a look-up, never a stale right)."""
        await _Watcher(self).follow_invalidations(bus)


class _Watcher(RightsClient):
    """Listens for the IS's change events on behalf of every tenant's cache."""

    def __init__(self, owner: TenantRights) -> None:
        super().__init__(lambda: None)
        self._owner = owner

    def invalidate(self) -> None:
        super().invalidate()
        self._owner.invalidate()
