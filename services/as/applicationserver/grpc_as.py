"""The ``ttn.lorawan.v3.As`` service: the application link settings and statistics."""

from __future__ import annotations

from typing import Any

from google.protobuf import empty_pb2

from applicationserver import errors
from applicationserver.link import LinkManager
from applicationserver.store import LinkStore
from applicationserver.tenancy import TenantRights
from lorastack import fieldmask
from ttn.lorawan.v3 import applicationserver_pb2, identifiers_pb2, rights_pb2

__all__ = ["LINK_FIELDS", "AsServicer"]

LINK_FIELDS = ("default_formatters", "skip_payload_crypto")
_LINK = rights_pb2.RIGHT_APPLICATION_LINK


class AsServicer:
    def __init__(self, *, links: LinkStore, manager: LinkManager, rights: TenantRights) -> None:
        self._links = links
        self._manager = manager
        self._rights = rights

    async def GetLink(self, request: applicationserver_pb2.GetApplicationLinkRequest, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _LINK)
        link = await self._links.get(key)
        if link is None:
            raise errors.link_not_found(application_id=app_id)
        paths = fieldmask.validate_paths(link.DESCRIPTOR, request.field_mask.paths, LINK_FIELDS)
        return fieldmask.select(link, paths) if paths else link

    async def SetLink(self, request: applicationserver_pb2.SetApplicationLinkRequest, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, _LINK)
        paths = fieldmask.validate_paths(request.link.DESCRIPTOR, request.field_mask.paths, LINK_FIELDS)
        link = await self._links.get(key) or applicationserver_pb2.ApplicationLink()
        fieldmask.apply(request.link, link, paths or LINK_FIELDS)
        await self._links.set(key, link)
        await self._manager.reconcile(key)
        return link

    async def DeleteLink(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> Any:
        key = await self._rights.check(context, request.application_id, _LINK)
        if not await self._links.delete(key):
            raise errors.link_not_found(application_id=request.application_id)
        await self._manager.reconcile(key)
        return empty_pb2.Empty()

    async def GetLinkStats(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> Any:
        app_id = request.application_id
        key = await self._rights.check(context, app_id, _LINK)
        if await self._links.get(key) is None:
            raise errors.link_not_found(application_id=app_id)
        failure = self._manager.error(key)
        if failure is not None:
            raise errors.link_failed(application_id=app_id, reason=failure)
        stats = await self._links.stats(key)
        if stats is None:
            raise errors.not_linked(application_id=app_id)
        return stats
