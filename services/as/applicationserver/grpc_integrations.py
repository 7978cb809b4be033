"""``ApplicationWebhookRegistry`` and ``ApplicationPubSubRegistry``: the integrations' settings."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from google.protobuf import empty_pb2

from applicationserver import errors
from applicationserver.store import PubSubStore, WebhookStore
from applicationserver.tenancy import TenantRights
from applicationserver.webhooks import FORMATS
from lorastack import fieldmask
from ttn.lorawan.v3 import applicationserver_pubsub_pb2, applicationserver_web_pb2, rights_pb2

__all__ = ["PubSubRegistryServicer", "WebhookRegistryServicer"]

_SETTINGS = rights_pb2.RIGHT_APPLICATION_SETTINGS_BASIC
_ID = re.compile(r"^[a-z0-9](?:[-]?[a-z0-9]){1,35}$")
_STAMPS = ("created_at", "updated_at", "ids", "health_status")
Webhook = applicationserver_web_pb2.ApplicationWebhook
PubSub = applicationserver_pubsub_pb2.ApplicationPubSub


def _settable(descriptor: Any, paths: list[str]) -> list[str]:
    if paths:
        return [p for p in paths if p.split(".")[0] not in _STAMPS]
    return [f.name for f in descriptor.fields if f.name not in _STAMPS]


class WebhookRegistryServicer:
    def __init__(self, *, store: WebhookStore, rights: TenantRights) -> None:
        self._store = store
        self._rights = rights

    async def GetFormats(self, request: empty_pb2.Empty, context: Any) -> Any:
        return applicationserver_web_pb2.ApplicationWebhookFormats(formats=FORMATS)

    async def Get(self, request: applicationserver_web_pb2.GetApplicationWebhookRequest, context: Any) -> Any:
        app_id = request.ids.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        paths = fieldmask.validate_paths(Webhook.DESCRIPTOR, request.field_mask.paths)
        hook = await self._store.get(key, request.ids.webhook_id)
        if hook is None:
            raise errors.webhook_not_found(webhook_id=request.ids.webhook_id)
        return fieldmask.select(hook, ["ids", *paths]) if paths else hook

    async def List(self, request: applicationserver_web_pb2.ListApplicationWebhooksRequest, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        paths = fieldmask.validate_paths(Webhook.DESCRIPTOR, request.field_mask.paths)
        hooks = await self._store.list(key)
        return applicationserver_web_pb2.ApplicationWebhooks(
            webhooks=[fieldmask.select(h, ["ids", *paths]) if paths else h for h in hooks]
        )

    async def Set(self, request: applicationserver_web_pb2.SetApplicationWebhookRequest, context: Any) -> Any:
        ids = request.webhook.ids
        app_id = ids.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        if not _ID.match(ids.webhook_id):
            raise errors.invalid_integration(reason=f"invalid webhook id `{ids.webhook_id}`")
        paths = _settable(Webhook.DESCRIPTOR, fieldmask.validate_paths(Webhook.DESCRIPTOR, request.field_mask.paths))
        hook = await self._store.get(key, ids.webhook_id)
        if hook is None:
            hook = Webhook(ids=ids)
            hook.created_at.GetCurrentTime()
        fieldmask.apply(request.webhook, hook, paths)
        if urlparse(hook.base_url).scheme not in ("http", "https"):
            raise errors.invalid_integration(reason="base_url must be an http or https URL")
        if hook.format and hook.format not in FORMATS:
            raise errors.invalid_integration(reason=f"unknown format `{hook.format}`")
        hook.format = hook.format or "json"
        if "base_url" in paths or "format" in paths:
            hook.health_status.healthy.SetInParent()  # new settings get a fresh chance
        hook.updated_at.GetCurrentTime()
        await self._store.set(key, hook)
        return hook

    async def Delete(self, request: applicationserver_web_pb2.ApplicationWebhookIdentifiers, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        if not await self._store.delete(key, request.webhook_id):
            raise errors.webhook_not_found(webhook_id=request.webhook_id)
        return empty_pb2.Empty()


PUBSUB_FORMATS = {"json": "JSON", "protobuf": "Protocol Buffers"}


class PubSubRegistryServicer:
    def __init__(
        self, *, store: PubSubStore, rights: TenantRights, changed: Callable[[str], Awaitable[None]] | None = None
    ) -> None:
        self._store = store
        self._rights = rights
        self._changed = changed

    async def _notify(self, key: str) -> None:
        # Downlink subscriptions follow at once, so a client may publish as soon as Set returns.
        if self._changed is not None:
            await self._changed(key)

    async def GetFormats(self, request: empty_pb2.Empty, context: Any) -> Any:
        return applicationserver_pubsub_pb2.ApplicationPubSubFormats(formats=PUBSUB_FORMATS)

    async def Get(self, request: applicationserver_pubsub_pb2.GetApplicationPubSubRequest, context: Any) -> Any:
        app_id = request.ids.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        paths = fieldmask.validate_paths(PubSub.DESCRIPTOR, request.field_mask.paths)
        item = await self._store.get(key, request.ids.pub_sub_id)
        if item is None:
            raise errors.pubsub_not_found(pub_sub_id=request.ids.pub_sub_id)
        return fieldmask.select(item, ["ids", *paths]) if paths else item

    async def List(self, request: applicationserver_pubsub_pb2.ListApplicationPubSubsRequest, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        paths = fieldmask.validate_paths(PubSub.DESCRIPTOR, request.field_mask.paths)
        items = await self._store.list(key)
        return applicationserver_pubsub_pb2.ApplicationPubSubs(
            pubsubs=[fieldmask.select(i, ["ids", *paths]) if paths else i for i in items]
        )

    async def Set(self, request: applicationserver_pubsub_pb2.SetApplicationPubSubRequest, context: Any) -> Any:
        ids = request.pubsub.ids
        app_id = ids.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        if not _ID.match(ids.pub_sub_id):
            raise errors.invalid_integration(reason=f"invalid pub/sub id `{ids.pub_sub_id}`")
        paths = _settable(PubSub.DESCRIPTOR, fieldmask.validate_paths(PubSub.DESCRIPTOR, request.field_mask.paths))
        item = await self._store.get(key, ids.pub_sub_id)
        if item is None:
            item = PubSub(ids=ids)
            item.created_at.GetCurrentTime()
        fieldmask.apply(request.pubsub, item, paths)
        provider = item.WhichOneof("provider")
        if provider not in ("nats", "mqtt"):
            raise errors.unsupported_provider(provider=provider or "none")
        if item.format and item.format not in PUBSUB_FORMATS:
            raise errors.invalid_integration(reason=f"unknown format `{item.format}`")
        item.format = item.format or "json"
        item.updated_at.GetCurrentTime()
        await self._store.set(key, item)
        await self._notify(key)
        return item

    async def Delete(self, request: applicationserver_pubsub_pb2.ApplicationPubSubIdentifiers, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _SETTINGS)
        if not await self._store.delete(key, request.pub_sub_id):
            raise errors.pubsub_not_found(pub_sub_id=request.pub_sub_id)
        await self._notify(key)
        return empty_pb2.Empty()
