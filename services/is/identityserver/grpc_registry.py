"""``ApplicationRegistry``, ``GatewayRegistry`` and ``OrganizationRegistry`` servicers: one
implementation per entity kind (the three services share request shapes), over :class:`Registry`.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message

from identityserver import errors, validation
from identityserver.auth import Authorizer
from identityserver.grpc_common import Context, account_ids, account_of, caller_of, page_of, send_total
from identityserver.registry import Registry
from ttn.lorawan.v3 import gateway_pb2, identifiers_pb2, rights_pb2

__all__ = ["GatewayRegistryServicer", "RegistryServicer"]


class RegistryServicer:
    def __init__(self, registry: Registry[Any], auth: Authorizer, plural: type[Message]) -> None:
        self._registry = registry
        self._auth = auth
        self._kind = registry.spec.kind
        self._plural = plural

    def _id(self, ids: Any) -> str:
        return validation.check_id(getattr(ids, f"{self._kind}_id"), f"{self._kind}_id")

    async def Create(self, request: Any, context: Context) -> Any:
        entity = getattr(request, self._kind)
        self._id(entity.ids)
        collaborator = account_of(request.collaborator)
        caller = await caller_of(self._auth, context)
        for contact in ("administrative_contact", "technical_contact"):
            if not entity.HasField(contact):
                getattr(entity, contact).CopyFrom(account_ids(collaborator))
        return await self._registry.create(caller, entity, collaborator)

    async def Get(self, request: Any, context: Context) -> Any:
        entity_id = self._id(getattr(request, f"{self._kind}_ids"))
        caller = await caller_of(self._auth, context)
        return await self._registry.get(caller, entity_id, list(request.field_mask.paths))

    async def List(self, request: Any, context: Context) -> Any:
        collaborator = account_of(request.collaborator) if request.HasField("collaborator") else None
        caller = await caller_of(self._auth, context)
        found, total = await self._registry.listing(
            caller, collaborator, list(request.field_mask.paths), page_of(request)
        )
        await send_total(context, total)
        return self._plural(**{f"{self._kind}s": found})

    async def Update(self, request: Any, context: Context) -> Any:
        entity = getattr(request, self._kind)
        self._id(entity.ids)
        caller = await caller_of(self._auth, context)
        return await self._registry.update(caller, entity, list(request.field_mask.paths))

    async def Delete(self, request: Any, context: Context) -> Empty:
        entity_id = self._id(request)
        caller = await caller_of(self._auth, context)
        await self._registry.delete(caller, entity_id)
        return Empty()


class GatewayRegistryServicer(RegistryServicer):
    """GatewayRegistry adds the EUI look-up the Gateway Server uses for gateways that only know their EUI."""

    async def GetIdentifiersForEUI(
        self, request: gateway_pb2.GetGatewayIdentifiersForEUIRequest, context: Context
    ) -> identifiers_pb2.GatewayIdentifiers:
        eui = validation.check_eui(request.eui, "eui", required=True)
        caller = await caller_of(self._auth, context)
        gateway_id = await self._registry.store.id_by(caller.tenant_id, "eui", eui)
        if gateway_id is None:
            raise errors.not_found(entity_type="gateway", entity_id=bytes(request.eui).hex().upper())
        await self._auth.require(caller, "gateway", gateway_id, rights_pb2.RIGHT_GATEWAY_INFO)
        return identifiers_pb2.GatewayIdentifiers(gateway_id=gateway_id, eui=request.eui)
