"""ClientRegistry and ClientAccess over gRPC and REST: secrets shown once, admin-only state, rights."""

from __future__ import annotations

import grpc
import pytest

from integration.identityserver.harness import Server
from integration.identityserver.helpers import create_user, user_ids
from ttn.lorawan.v3 import client_pb2, client_services_pb2_grpc, enums_pb2, identifiers_pb2, rights_pb2
from ttn.lorawan.v3 import rights_pb2 as r


def client_ids(client_id: str) -> identifiers_pb2.ClientIdentifiers:
    return identifiers_pb2.ClientIdentifiers(client_id=client_id)


async def test_admin_creates_an_approved_client_and_its_secret_is_shown_once(server: Server) -> None:
    stub = client_services_pb2_grpc.ClientRegistryStub(server.channel)
    created = await stub.Create(
        client_pb2.CreateClientRequest(
            client=client_pb2.Client(
                ids=client_ids("console"),
                name="Console",
                redirect_uris=["http://localhost/callback"],
                grants=[client_pb2.GRANT_AUTHORIZATION_CODE],
                rights=[r.RIGHT_APPLICATION_ALL],
            ),
            collaborator=user_ids("admin"),
        ),
        metadata=server.md(),
    )
    assert created.state == enums_pb2.STATE_APPROVED and len(created.secret) > 20
    got = await stub.Get(
        client_pb2.GetClientRequest(client_ids=client_ids("console"), field_mask={"paths": ["name", "secret"]}),
        metadata=server.md(),
    )
    assert got.name == "Console" and got.secret == ""
    status, body, headers = await server.rest("GET", "/clients?field_mask=name,redirect_uris&limit=1")
    assert status == 200 and headers["X-Total-Count"] == "1"
    assert body["clients"][0]["redirect_uris"] == ["http://localhost/callback"]
    status, body, _ = await server.rest(
        "PUT",
        "/clients/console",
        body={
            "client": {"description": "the console", "secret": "new-secret"},
            "field_mask": {"paths": ["description", "secret"]},
        },
    )
    assert status == 200 and body["description"] == "the console" and body["secret"] == "new-secret"
    status, _, _ = await server.rest("DELETE", "/clients/console")
    assert status == 200
    status, _, _ = await server.rest("GET", "/clients/console")
    assert status in (403, 404)


async def test_users_request_clients_and_only_admins_decide(server: Server) -> None:
    key = await create_user(server, "dev-user")
    body = {"client": {"ids": {"client_id": "my-cli"}, "redirect_uris": ["code"]}}
    status, err, _ = await server.rest("POST", "/users/dev-user/clients", key=key, body=body)
    assert status == 400, err
    body["client"]["redirect_uris"] = ["myapp://callback"]
    body["client"]["endorsed"] = True
    status, err, _ = await server.rest("POST", "/users/dev-user/clients", key=key, body=body)
    assert status == 403, err
    del body["client"]["endorsed"]
    status, created, _ = await server.rest("POST", "/users/dev-user/clients", key=key, body=body)
    assert status == 200 and created.get("state", "STATE_REQUESTED") == "STATE_REQUESTED", created
    approve = {"client": {"state": "STATE_APPROVED"}, "field_mask": {"paths": ["state"]}}
    status, _, _ = await server.rest("PUT", "/clients/my-cli", key=key, body=approve)
    assert status == 403
    status, approved, _ = await server.rest("PUT", "/clients/my-cli", body=approve)
    assert status == 200 and approved["state"] == "STATE_APPROVED"
    status, listed, _ = await server.rest("GET", "/users/dev-user/clients", key=key)
    assert status == 200 and [c["ids"]["client_id"] for c in listed["clients"]] == ["my-cli"]

    other = await create_user(server, "other-user")
    stub = client_services_pb2_grpc.ClientRegistryStub(server.channel)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.Get(client_pb2.GetClientRequest(client_ids=client_ids("my-cli")), metadata=server.md(other))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_client_access_rights_and_collaborators(server: Server) -> None:
    key = await create_user(server, "dev-user")
    await create_user(server, "helper")
    status, _, _ = await server.rest(
        "POST", "/users/dev-user/clients", key=key, body={"client": {"ids": {"client_id": "cli-a"}}}
    )
    assert status == 200
    access = client_services_pb2_grpc.ClientAccessStub(server.channel)
    rights = await access.ListRights(client_ids("cli-a"), metadata=server.md(key))
    assert r.RIGHT_CLIENT_ALL in rights.rights or r.RIGHT_CLIENT_DELETE in rights.rights
    await access.SetCollaborator(
        client_pb2.SetClientCollaboratorRequest(
            client_ids=client_ids("cli-a"),
            collaborator=rights_pb2.Collaborator(ids=user_ids("helper"), rights=[r.RIGHT_CLIENT_INFO]),
        ),
        metadata=server.md(key),
    )
    status, body, headers = await server.rest("GET", "/clients/cli-a/collaborators", key=key)
    assert status == 200 and headers["X-Total-Count"] == "2", body
    status, body, _ = await server.rest("GET", "/clients/cli-a/collaborator/user/helper", key=key)
    assert status == 200 and body["rights"] == ["RIGHT_CLIENT_INFO"]
    status, body, _ = await server.rest("GET", "/clients/cli-a/rights", key=key)
    assert status == 200 and "RIGHT_CLIENT_DELETE" in body["rights"]
