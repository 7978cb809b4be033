"""``tti.lorawan.v3.TenantRegistry`` servicer: authenticated by ``TenantAdminKey``, never by API keys."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver import validation
from identityserver.grpc_common import Context, page_of, send_total
from identityserver.tenants import Tenants
from lorastack.rpc.auth import current_credentials
from tti.lorawan.v3 import tenant_pb2, tenant_services_pb2_grpc

__all__ = ["TenantRegistryServicer"]


class TenantRegistryServicer(tenant_services_pb2_grpc.TenantRegistryServicer):
    def __init__(self, tenants: Tenants) -> None:
        self._tenants = tenants

    def _admit(self) -> None:
        self._tenants.authenticate(current_credentials.get())

    async def Create(self, request: tenant_pb2.CreateTenantRequest, context: Context) -> tenant_pb2.Tenant:
        self._admit()
        initial = request.initial_user if request.HasField("initial_user") else None
        return await self._tenants.create(request.tenant, initial)

    async def Get(self, request: tenant_pb2.GetTenantRequest, context: Context) -> tenant_pb2.Tenant:
        self._admit()
        tenant_id = validation.check_id(request.tenant_ids.tenant_id, "tenant_id")
        return await self._tenants.get(tenant_id, list(request.field_mask.paths))

    async def GetRegistryTotals(
        self, request: tenant_pb2.GetTenantRegistryTotalsRequest, context: Context
    ) -> tenant_pb2.TenantRegistryTotals:
        self._admit()
        tenant_id = validation.check_id(request.tenant_ids.tenant_id, "tenant_id")
        return await self._tenants.totals(tenant_id)

    async def List(self, request: tenant_pb2.ListTenantsRequest, context: Context) -> tenant_pb2.Tenants:
        self._admit()
        found, total = await self._tenants.listing(list(request.field_mask.paths), page_of(request))
        await send_total(context, total)
        return tenant_pb2.Tenants(tenants=found)

    async def Update(self, request: tenant_pb2.UpdateTenantRequest, context: Context) -> tenant_pb2.Tenant:
        self._admit()
        validation.check_id(request.tenant.ids.tenant_id, "tenant_id")
        return await self._tenants.update(request.tenant, list(request.field_mask.paths))

    async def Delete(self, request: tenant_pb2.TenantIdentifiers, context: Context) -> Empty:
        self._admit()
        await self._tenants.delete(validation.check_id(request.tenant_id, "tenant_id"))
        return Empty()
