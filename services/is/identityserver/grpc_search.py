"""``EntityRegistrySearch`` and ``EndDeviceRegistrySearch`` servicers over :class:`Search`."""

from __future__ import annotations

from typing import Any

from identityserver import validation
from identityserver.auth import Authorizer
from identityserver.grpc_common import Context, caller_of, page_of, send_total
from identityserver.search import Criteria, Search, check_hex
from ttn.lorawan.v3 import (
    application_pb2,
    client_pb2,
    end_device_pb2,
    gateway_pb2,
    organization_pb2,
    search_services_pb2,
    user_pb2,
)

__all__ = ["EndDeviceRegistrySearchServicer", "EntityRegistrySearchServicer"]

Request = search_services_pb2.SearchEntitiesRequest


class EntityRegistrySearchServicer:
    def __init__(self, search: Search, auth: Authorizer) -> None:
        self._search = search
        self._auth = auth

    async def _run(self, kind: str, request: Request, context: Context) -> list[Any]:
        caller = await caller_of(self._auth, context)
        found, total = await self._search.entities(
            caller,
            kind,
            Criteria.of(request),
            list(request.field_mask.paths),
            page_of(request),
            deleted=request.deleted,
        )
        await send_total(context, total)
        return found

    async def SearchApplications(self, request: Request, context: Context) -> application_pb2.Applications:
        return application_pb2.Applications(applications=await self._run("application", request, context))

    async def SearchClients(self, request: Request, context: Context) -> client_pb2.Clients:
        return client_pb2.Clients(clients=await self._run("client", request, context))

    async def SearchGateways(self, request: Request, context: Context) -> gateway_pb2.Gateways:
        return gateway_pb2.Gateways(gateways=await self._run("gateway", request, context))

    async def SearchOrganizations(self, request: Request, context: Context) -> organization_pb2.Organizations:
        return organization_pb2.Organizations(organizations=await self._run("organization", request, context))

    async def SearchUsers(self, request: Request, context: Context) -> user_pb2.Users:
        return user_pb2.Users(users=await self._run("user", request, context))


class EndDeviceRegistrySearchServicer:
    def __init__(self, search: Search, auth: Authorizer) -> None:
        self._search = search
        self._auth = auth

    async def SearchEndDevices(
        self, request: search_services_pb2.SearchEndDevicesRequest, context: Context
    ) -> end_device_pb2.EndDevices:
        app_id = validation.check_id(request.application_ids.application_id, "application_ids.application_id")
        for name in ("dev_eui", "join_eui", "dev_addr"):
            check_hex(getattr(request, f"{name}_contains"), f"{name}_contains")
        caller = await caller_of(self._auth, context)
        criteria = Criteria.of(request, ("dev_eui", "join_eui", "dev_addr"))
        found, total = await self._search.end_devices(
            caller, app_id, criteria, list(request.field_mask.paths), page_of(request)
        )
        await send_total(context, total)
        return end_device_pb2.EndDevices(end_devices=found)
