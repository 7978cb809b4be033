"""GatewayRegistry (EUI unique, look-up by EUI), GatewayAccess, OrganizationRegistry and its members."""

from __future__ import annotations

import grpc
import pytest

from integration.identityserver.harness import Server
from integration.identityserver.helpers import create_user
from ttn.lorawan.v3 import gateway_pb2, gateway_services_pb2_grpc

GATEWAY = {
    "gateway": {
        "ids": {"gateway_id": "gtw-1", "eui": "0102030405060708"},
        "name": "Roof",
        "frequency_plan_id": "EU_863_870_TTN",
        "frequency_plan_ids": ["EU_863_870_TTN"],
        "gateway_server_address": "gs.example.com",
        "antennas": [{"location": {"latitude": 52.1, "longitude": 4.3, "altitude": 10}}],
    }
}


async def test_gateway_registry_and_eui_lookup(server: Server) -> None:
    status, body, _ = await server.rest("POST", "/users/admin/gateways", body=GATEWAY)
    assert status == 200, body
    assert body["ids"]["eui"] == "0102030405060708" and body["antennas"][0]["location"]["latitude"] == 52.1
    duplicate = {"gateway": {**GATEWAY["gateway"], "ids": {"gateway_id": "gtw-2", "eui": "0102030405060708"}}}
    status, body, _ = await server.rest("POST", "/users/admin/gateways", body=duplicate)
    assert status == 409 and "EUI" in body["message"]
    status, _, _ = await server.rest(
        "POST", "/users/admin/gateways", body={"gateway": {"ids": {"gateway_id": "gtw-3", "eui": "0102"}}}
    )
    assert status == 400
    stub = gateway_services_pb2_grpc.GatewayRegistryStub(server.channel)
    ids = await stub.GetIdentifiersForEUI(
        gateway_pb2.GetGatewayIdentifiersForEUIRequest(eui=bytes.fromhex("0102030405060708")), metadata=server.md()
    )
    assert ids.gateway_id == "gtw-1"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetIdentifiersForEUI(
            gateway_pb2.GetGatewayIdentifiersForEUIRequest(eui=bytes(8)), metadata=server.md()
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    status, body, _ = await server.rest(
        "PUT",
        "/gateways/gtw-1",
        body={"gateway": {"frequency_plan_ids": ["US_902_928_FSB_2"]}, "field_mask": {"paths": ["frequency_plan_ids"]}},
    )
    assert status == 200 and body["frequency_plan_ids"] == ["US_902_928_FSB_2"]
    status, body, headers = await server.rest("GET", "/gateways?field_mask=name")
    assert headers["X-Total-Count"] == "1" and body["gateways"][0]["name"] == "Roof"
    status, key, _ = await server.rest(
        "POST", "/gateways/gtw-1/api-keys", body={"name": "link", "rights": ["RIGHT_GATEWAY_LINK"]}
    )
    assert status == 200
    status, rights, _ = await server.rest("GET", "/gateways/gtw-1/rights", key=key["key"])
    assert rights["rights"] == ["RIGHT_GATEWAY_LINK"]
    status, _, _ = await server.rest("GET", "/gateways/gtw-1", key=key["key"])
    assert status == 403
    status, _, _ = await server.rest("DELETE", "/gateways/gtw-1")
    assert status == 200
    status, _, _ = await server.rest("GET", "/gateways/gtw-1/rights", key=key["key"])
    assert status == 401


async def test_organizations_and_members(server: Server) -> None:
    gina = await create_user(server, "gina")
    status, body, _ = await server.rest(
        "POST",
        "/users/admin/organizations",
        body={"organization": {"ids": {"organization_id": "acme"}, "name": "Acme"}},
    )
    assert status == 200, body
    # Users and organizations share one id space.
    status, _, _ = await server.rest(
        "POST", "/users", body={"user": {"ids": {"user_id": "acme"}, "password": "a good password"}}
    )
    assert status == 409
    status, _, _ = await server.rest("GET", "/organizations/acme", key=gina)
    assert status == 403
    status, _, _ = await server.rest(
        "PUT",
        "/organizations/acme/collaborators",
        body={"collaborator": {"ids": {"user_ids": {"user_id": "gina"}}, "rights": ["RIGHT_ORGANIZATION_INFO"]}},
    )
    assert status == 200
    status, body, _ = await server.rest("GET", "/organizations/acme?field_mask=name", key=gina)
    assert status == 200 and body["name"] == "Acme"
    status, body, headers = await server.rest("GET", "/organizations/acme/collaborators")
    assert headers["X-Total-Count"] == "2"
    status, body, _ = await server.rest("GET", "/users/gina/organizations", key=gina)
    assert status == 200 and [o["ids"]["organization_id"] for o in body["organizations"]] == ["acme"]
    status, _, _ = await server.rest("DELETE", "/organizations/acme", key=gina)
    assert status == 403
    status, _, _ = await server.rest("DELETE", "/organizations/acme")
    assert status == 200
    status, _, _ = await server.rest("GET", "/organizations/acme", key=gina)
    assert status == 403
