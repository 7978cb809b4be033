"""TenantRegistry (seed 002): TenantAdminKey only, CRUD, registry totals, deleting a tenant's data."""

from __future__ import annotations

import grpc
import pytest

from integration.identityserver.harness import TENANT_ADMIN_KEY, Server
from tti.lorawan.v3 import tenant_pb2, tenant_services_pb2_grpc

ADMIN = {"Authorization": f"TenantAdminKey {TENANT_ADMIN_KEY}"}


async def call(server: Server, method: str, path: str, body: object = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async with server.http.request(method, server.base + path, json=body, headers=headers or ADMIN) as resp:
        return resp.status, await resp.json(content_type=None), dict(resp.headers)


async def test_tenant_registry(server: Server) -> None:
    body = {
        "tenant": {"ids": {"tenant_id": "acme"}, "name": "Acme"},
        "initial_user": {"ids": {"user_id": "boss"}, "password": "a good password", "admin": True},
    }
    status, created, _ = await call(server, "POST", "/tenants", body)
    assert status == 200, created
    assert created["ids"] == {"tenant_id": "acme"} and created["name"] == "Acme"
    status, _, _ = await call(server, "POST", "/tenants", body)
    assert status == 409
    status, _, _ = await call(server, "POST", "/tenants", {"tenant": {"ids": {"tenant_id": "Bad!"}}})
    assert status == 400
    # API keys are not tenant admin keys, and a wrong tenant admin key is refused.
    status, _, _ = await call(server, "GET", "/tenants", headers=server.headers())
    assert status == 401
    status, _, _ = await call(server, "GET", "/tenants", headers={"Authorization": "TenantAdminKey wrong"})
    assert status == 401

    status, got, _ = await call(server, "GET", "/tenants/acme?field_mask=name")
    assert status == 200 and got["name"] == "Acme"
    status, got, _ = await call(
        server, "PUT", "/tenants/acme", {"tenant": {"description": "d"}, "field_mask": {"paths": ["description"]}}
    )
    assert status == 200 and got["description"] == "d"
    status, listed, headers = await call(server, "GET", "/tenants?order=-tenant_id&limit=1&field_mask=name")
    assert headers["X-Total-Count"] == "2" and listed["tenants"][0]["ids"]["tenant_id"] == "default"

    status, _, _ = await server.rest(
        "POST", "/users/admin/applications", body={"application": {"ids": {"application_id": "app-1"}}}
    )
    assert status == 200
    status, totals, _ = await call(server, "GET", "/tenants/default/registry-totals")
    assert status == 200 and totals["applications"] == "1" and totals["users"] == "1"
    status, totals, _ = await call(server, "GET", "/tenants/acme/registry-totals")
    assert totals.get("applications", "0") == "0" and totals["users"] == "1"

    status, _, _ = await call(server, "DELETE", "/tenants/default")
    assert status == 400
    status, _, _ = await call(server, "DELETE", "/tenants/acme")
    assert status == 200
    status, _, _ = await call(server, "GET", "/tenants/acme")
    assert status == 404


async def test_tenant_registry_over_grpc(server: Server) -> None:
    stub = tenant_services_pb2_grpc.TenantRegistryStub(server.channel)
    md = (("authorization", f"TenantAdminKey {TENANT_ADMIN_KEY}"),)
    created = await stub.Create(
        tenant_pb2.CreateTenantRequest(tenant=tenant_pb2.Tenant(ids=tenant_pb2.TenantIdentifiers(tenant_id="beta"))),
        metadata=md,
    )
    assert created.ids.tenant_id == "beta"
    totals = await stub.GetRegistryTotals(
        tenant_pb2.GetTenantRegistryTotalsRequest(tenant_ids=tenant_pb2.TenantIdentifiers(tenant_id="beta")),
        metadata=md,
    )
    assert totals.users == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.List(tenant_pb2.ListTenantsRequest(), metadata=server.md())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
