"""EntityRegistrySearch and EndDeviceRegistrySearch over gRPC and REST: filters, field masks,
pagination with X-Total-Count, and never an entity the caller cannot see (two users, two tenants).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from integration.identityserver.harness import Server, add_tenant
from integration.identityserver.helpers import create_user
from ttn.lorawan.v3 import search_services_pb2, search_services_pb2_grpc


async def _ok(server: Server, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    status, data, _ = await server.rest(method, path, body=body, **kw)
    assert status == 200, (path, data)
    return data


async def _app(server: Server, owner: str, app_id: str, **fields: Any) -> None:
    kind = "organizations" if owner == "acme" else "users"
    await _ok(
        server, "POST", f"/{kind}/{owner}/applications", {"application": {"ids": {"application_id": app_id}, **fields}}
    )


def _ids(body: Any, plural: str, kind: str) -> list[str]:
    return [e["ids"][f"{kind}_id"] for e in body.get(plural, [])]


async def test_search_sees_only_what_the_caller_may(server: Server) -> None:
    alice = await create_user(server, "alice")
    bob = await create_user(server, "bob")
    other_tenant = await add_tenant(server, "tenant-two")
    await _app(
        server, "alice", "alice-sensors", name="Sensors", description="Basement temperature", attributes={"floor": "b1"}
    )
    await _app(server, "alice", "alice-meters", name="Meters", attributes={"floor": "b2"})
    await _app(server, "bob", "bob-sensors", name="Bob's sensors")
    await _ok(server, "POST", "/users/alice/organizations", {"organization": {"ids": {"organization_id": "acme"}}})
    await _app(server, "acme", "acme-sensors")
    await _ok(
        server,
        "POST",
        "/users/admin/applications",
        {"application": {"ids": {"application_id": "t2-sensors"}}},
        key=other_tenant,
        tenant="tenant-two",
    )

    status, body, headers = await server.rest("GET", "/search/applications?id_contains=SENSORS", key=alice)
    assert status == 200 and _ids(body, "applications", "application") == ["acme-sensors", "alice-sensors"]
    assert headers["X-Total-Count"] == "2"
    body = await _ok(server, "GET", "/search/applications?id_contains=sensors", key=bob)
    assert _ids(body, "applications", "application") == ["bob-sensors"]
    body = await _ok(server, "GET", "/search/applications", key=other_tenant, tenant="tenant-two")
    assert _ids(body, "applications", "application") == ["t2-sensors"]
    body = await _ok(server, "GET", "/search/applications?id_contains=sensors")
    assert _ids(body, "applications", "application") == ["acme-sensors", "alice-sensors", "bob-sensors"]
    # The other tenant's admin key means nothing here, and no search crosses tenants.
    status, _, _ = await server.rest("GET", "/search/applications", key=other_tenant)
    assert status == 401

    search = search_services_pb2_grpc.EntityRegistrySearchStub(server.channel)
    found = await search.SearchApplications(
        search_services_pb2.SearchEntitiesRequest(
            description_contains="basement", attributes_contain={"floor": "B1"}, field_mask={"paths": ["name"]}
        ),
        metadata=server.md(alice),
    )
    assert [a.ids.application_id for a in found.applications] == ["alice-sensors"]
    assert found.applications[0].name == "Sensors" and not found.applications[0].description
    found = await search.SearchApplications(
        search_services_pb2.SearchEntitiesRequest(query="temperature"), metadata=server.md(bob)
    )
    assert not found.applications
    call = search.SearchApplications(
        search_services_pb2.SearchEntitiesRequest(order="-name", limit=1, page=2), metadata=server.md(alice)
    )
    found = await call
    assert [a.ids.application_id for a in found.applications] == ["alice-meters"]  # Sensors, Meters, (no name)
    assert dict(await call.initial_metadata())["x-total-count"] == "3"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await search.SearchApplications(
            search_services_pb2.SearchEntitiesRequest(field_mask={"paths": ["nope"]}), metadata=server.md(alice)
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    body = await _ok(server, "GET", "/search/organizations", key=alice)
    assert _ids(body, "organizations", "organization") == ["acme"]
    body = await _ok(server, "GET", "/search/organizations", key=bob)
    assert not body.get("organizations")
    body = await _ok(server, "GET", "/search/users", key=bob)
    assert _ids(body, "users", "user") == ["bob"]
    body = await _ok(server, "GET", "/search/users?id_contains=a")
    assert _ids(body, "users", "user") == ["admin", "alice"]
    body = await _ok(server, "GET", "/search/gateways", key=alice)
    assert not body.get("gateways")
    await _ok(
        server,
        "POST",
        "/users/alice/gateways",
        {"gateway": {"ids": {"gateway_id": "alice-gtw", "eui": "0102030405060708"}, "name": "Roof"}},
    )
    body = await _ok(server, "GET", "/search/gateways?name_contains=roof", key=alice)
    assert _ids(body, "gateways", "gateway") == ["alice-gtw"]
    body = await _ok(server, "GET", "/search/clients", key=alice)
    assert not body.get("clients")


async def test_search_end_devices(server: Server) -> None:
    alice = await create_user(server, "alice")
    bob = await create_user(server, "bob")
    await _app(server, "alice", "app-d")
    for dev_id, dev_eui, name in (("dev-1", "0004A30B001C0530", "Kitchen"), ("dev-2", "0004A30B001C0999", "Hall")):
        device = {
            "ids": {
                "device_id": dev_id,
                "application_ids": {"application_id": "app-d"},
                "dev_eui": dev_eui,
                "join_eui": "70B3D57ED0000000",
            },
            "name": name,
            "attributes": {"room": name.lower()},
        }
        await _ok(server, "POST", "/applications/app-d/devices", {"end_device": device}, key=alice)
    status, body, headers = await server.rest(
        "GET", "/search/applications/app-d/devices?dev_eui_contains=c0999&field_mask=name", key=alice
    )
    assert status == 200 and [d["ids"]["device_id"] for d in body["end_devices"]] == ["dev-2"]
    assert body["end_devices"][0]["name"] == "Hall" and headers["X-Total-Count"] == "1"
    status, _, _ = await server.rest("GET", "/search/applications/app-d/devices", key=bob)
    assert status == 403
    stub = search_services_pb2_grpc.EndDeviceRegistrySearchStub(server.channel)
    found = await stub.SearchEndDevices(
        search_services_pb2.SearchEndDevicesRequest(
            application_ids={"application_id": "app-d"}, attributes_contain={"room": "kit"}
        ),
        metadata=server.md(alice),
    )
    assert [d.ids.device_id for d in found.end_devices] == ["dev-1"] and not found.end_devices[0].name
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SearchEndDevices(
            search_services_pb2.SearchEndDevicesRequest(
                application_ids={"application_id": "app-d"}, join_eui_contains="xyz"
            ),
            metadata=server.md(alice),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
