"""``<Entity>Access`` servicers (ApplicationAccess, GatewayAccess, OrganizationAccess, UserAccess):
one implementation, instantiated per entity kind, since the four services share their shape.
"""

from __future__ import annotations

from datetime import UTC as _UTC
from typing import Any

from google.protobuf.empty_pb2 import Empty

from identityserver import validation
from identityserver.access import Access
from identityserver.auth import Authorizer
from identityserver.grpc_common import Context, account_ids, account_of, caller_of, page_of, send_total
from ttn.lorawan.v3 import rights_pb2

__all__ = ["AccessServicer"]


class AccessServicer:
    def __init__(self, kind: str, access: Access, auth: Authorizer) -> None:
        self._kind = kind
        self._ids_field = f"{kind}_ids"
        self._id_field = f"{kind}_id"
        self._access = access
        self._auth = auth

    def _id(self, ids: Any) -> str:
        return validation.check_id(getattr(ids, self._id_field), self._id_field)

    def _entity(self, request: Any) -> str:
        return self._id(getattr(request, self._ids_field))

    async def ListRights(self, request: Any, context: Context) -> rights_pb2.Rights:
        entity_id = self._id(request)
        caller = await caller_of(self._auth, context)
        return rights_pb2.Rights(rights=await self._access.list_rights(caller, self._kind, entity_id))  # type: ignore[arg-type]

    async def CreateAPIKey(self, request: Any, context: Context) -> rights_pb2.APIKey:
        entity_id = self._entity(request)
        caller = await caller_of(self._auth, context)
        expires = request.expires_at.ToDatetime(tzinfo=_UTC) if request.HasField("expires_at") else None
        return await self._access.create_key(caller, self._kind, entity_id, request.name, request.rights, expires)

    async def ListAPIKeys(self, request: Any, context: Context) -> rights_pb2.APIKeys:
        entity_id = self._entity(request)
        caller = await caller_of(self._auth, context)
        keys, total = await self._access.list_keys(caller, self._kind, entity_id, page_of(request))
        await send_total(context, total)
        return rights_pb2.APIKeys(api_keys=keys)

    async def GetAPIKey(self, request: Any, context: Context) -> rights_pb2.APIKey:
        entity_id = self._entity(request)
        caller = await caller_of(self._auth, context)
        return await self._access.get_key(caller, self._kind, entity_id, request.key_id)

    async def UpdateAPIKey(self, request: Any, context: Context) -> rights_pb2.APIKey:
        entity_id = self._entity(request)
        caller = await caller_of(self._auth, context)
        return await self._access.update_key(
            caller, self._kind, entity_id, request.api_key, list(request.field_mask.paths)
        )

    async def GetCollaborator(self, request: Any, context: Context) -> rights_pb2.GetCollaboratorResponse:
        entity_id = self._entity(request)
        member = account_of(request.collaborator)
        caller = await caller_of(self._auth, context)
        rights = await self._access.get_collaborator(caller, self._kind, entity_id, member)
        return rights_pb2.GetCollaboratorResponse(ids=request.collaborator, rights=rights)  # type: ignore[arg-type]

    async def SetCollaborator(self, request: Any, context: Context) -> Empty:
        entity_id = self._entity(request)
        member = account_of(request.collaborator.ids, "collaborator.ids")
        caller = await caller_of(self._auth, context)
        await self._access.set_collaborator(caller, self._kind, entity_id, member, request.collaborator.rights)
        return Empty()

    async def ListCollaborators(self, request: Any, context: Context) -> rights_pb2.Collaborators:
        entity_id = self._entity(request)
        caller = await caller_of(self._auth, context)
        rows, total = await self._access.list_collaborators(caller, self._kind, entity_id, page_of(request))
        await send_total(context, total)
        return rights_pb2.Collaborators(
            collaborators=[
                rights_pb2.Collaborator(ids=account_ids((r.member_kind, r.member_id)), rights=r.rights)  # type: ignore[arg-type]
                for r in rows
            ]
        )
