"""ApplicationRegistry over gRPC and REST: seed 004's examples, field masks, pagination, bad input."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from integration.identityserver.harness import Server
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    identifiers_pb2,
    rights_pb2,
)

SEED_004_APP = {
    "application": {
        "ids": {"application_id": "my-test-app"},
        "name": "My Test Application",
        "description": "Application for my test devices",
        "network_server_address": "thethings.example.com",
        "application_server_address": "thethings.example.com",
        "join_server_address": "thethings.example.com",
    }
}


def user_ids(user_id: str) -> identifiers_pb2.OrganizationOrUserIdentifiers:
    return identifiers_pb2.OrganizationOrUserIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id=user_id))


async def create_app(
    server: Server, app_id: str, name: str = "", key: str | None = None
) -> application_pb2.Application:
    stub = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    return await stub.Create(
        application_pb2.CreateApplicationRequest(
            application=application_pb2.Application(
                ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id), name=name
            ),
            collaborator=user_ids("admin"),
        ),
        metadata=server.md(key),
    )


async def test_seed_004_create_application_and_api_key_over_rest(server: Server) -> None:
    status, body, _ = await server.rest("POST", "/users/admin/applications", body=SEED_004_APP)
    assert status == 200, body
    assert body["ids"] == {"application_id": "my-test-app"}
    assert body["name"] == "My Test Application"
    assert body["description"] == "Application for my test devices"
    assert body["administrative_contact"] == {"user_ids": {"user_id": "admin"}}
    assert body["technical_contact"] == {"user_ids": {"user_id": "admin"}}
    for field in ("network_server_address", "application_server_address", "join_server_address"):
        assert body[field] == "thethings.example.com"
    assert body["created_at"].endswith("Z") and body["updated_at"]

    key_request = {
        "expires_at": "2099-11-07T20:33:48.000Z",
        "name": "Test API Key",
        "rights": ["RIGHT_APPLICATION_DELETE"],
    }
    status, key, _ = await server.rest("POST", "/applications/my-test-app/api-keys", body=key_request)
    assert status == 200, key
    assert key["key"].startswith(f"NNSXS.{key['id']}.")
    assert len(key["id"]) == 39 and len(key["key"].split(".")[2]) == 52
    assert key["name"] == "Test API Key" and key["rights"] == ["RIGHT_APPLICATION_DELETE"]
    assert key["expires_at"] == "2099-11-07T20:33:48Z"
    # The secret is shown once: reading the key back never returns it.
    status, again, _ = await server.rest("GET", f"/applications/my-test-app/api-keys/{key['id']}")
    assert status == 200 and "key" not in again

    # The key only deletes: reading is refused, deleting works.
    status, _, _ = await server.rest("GET", "/applications/my-test-app", key=key["key"])
    assert status == 403
    status, _, _ = await server.rest("DELETE", "/applications/my-test-app", key=key["key"])
    assert status == 200
    status, _, _ = await server.rest("GET", "/applications/my-test-app")
    assert status == 404


async def test_get_update_with_field_masks_grpc_and_rest(server: Server) -> None:
    stub = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    await create_app(server, "app-one", name="one")
    got = await stub.Get(
        application_pb2.GetApplicationRequest(
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-one"),
            field_mask=FieldMask(paths=["name"]),
        ),
        metadata=server.md(),
    )
    assert got.name == "one" and not got.HasField("administrative_contact")
    updated = await stub.Update(
        application_pb2.UpdateApplicationRequest(
            application=application_pb2.Application(
                ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-one"),
                name="renamed",
                description="not in the mask",
            ),
            field_mask=FieldMask(paths=["name"]),
        ),
        metadata=server.md(),
    )
    assert updated.name == "renamed" and updated.description == ""
    status, body, _ = await server.rest("GET", "/applications/app-one?field_mask=name,description")
    assert status == 200 and body["name"] == "renamed" and "description" not in body
    status, body, _ = await server.rest(
        "PUT",
        "/applications/app-one",
        body={"application": {"description": "from rest"}, "field_mask": {"paths": ["description"]}},
    )
    assert status == 200 and body["description"] == "from rest"
    status, body, _ = await server.rest("GET", "/applications/app-one?field_mask=name,description")
    assert body["name"] == "renamed" and body["description"] == "from rest"

    status, body, _ = await server.rest("GET", "/applications/app-one?field_mask=nonsense")
    assert status == 400
    status, body, _ = await server.rest(
        "PUT", "/applications/app-one", body={"application": {"name": "x"}, "field_mask": {"paths": ["ids"]}}
    )
    assert status == 400


async def test_list_pagination_order_and_total(server: Server) -> None:
    for i in range(5):
        await create_app(server, f"app-{i}", name=f"n{4 - i}")
    stub = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    call = stub.List(
        application_pb2.ListApplicationsRequest(field_mask=FieldMask(paths=["name"]), limit=2, page=2, order="name"),
        metadata=server.md(),
    )
    page = await call
    assert dict(await call.initial_metadata())["x-total-count"] == "5"
    assert [a.name for a in page.applications] == ["n2", "n3"]

    status, body, headers = await server.rest(
        "GET", "/users/admin/applications?limit=2&page=1&order=-application_id&field_mask=name"
    )
    assert status == 200 and headers["X-Total-Count"] == "5"
    assert [a["ids"]["application_id"] for a in body["applications"]] == ["app-4", "app-3"]
    status, body, _ = await server.rest("GET", "/applications?order=bogus")
    assert status == 400


@pytest.mark.parametrize(
    "application",
    [
        {"ids": {"application_id": "Bad_Id"}},
        {"ids": {"application_id": "ab"}},
        {"ids": {"application_id": "a--b"}},
        {"ids": {"application_id": "fine-id"}, "name": "x" * 51},
        {"ids": {"application_id": "fine-id"}, "description": "x" * 2001},
        {"ids": {"application_id": "fine-id"}, "attributes": {f"key-{i}": "v" for i in range(11)}},
        {"ids": {"application_id": "fine-id"}, "attributes": {"ok-key": "v" * 201}},
        {"ids": {"application_id": "fine-id"}, "network_server_address": "not an address"},
    ],
)
async def test_bad_input_is_refused_and_nothing_written(server: Server, application: dict[str, object]) -> None:
    status, body, _ = await server.rest("POST", "/users/admin/applications", body={"application": application})
    assert status == 400, body
    status, body, headers = await server.rest("GET", "/applications")
    assert status == 200 and headers["X-Total-Count"] == "0"


async def test_duplicate_and_concurrent_creates(server: Server) -> None:
    await create_app(server, "dup-app")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create_app(server, "dup-app")
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    status, _, _ = await server.rest(
        "POST", "/users/admin/applications", body={"application": {"ids": {"application_id": "dup-app"}}}
    )
    assert status == 409

    results = await asyncio.gather(*(create_app(server, "race-app") for _ in range(8)), return_exceptions=True)
    wins = [r for r in results if isinstance(r, application_pb2.Application)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 7
    assert all(e.code() == grpc.StatusCode.ALREADY_EXISTS for e in losses)


async def test_list_rights_for_key_without_rights_is_empty(server: Server) -> None:
    await create_app(server, "app-a")
    await create_app(server, "app-b")
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
    key = await access.CreateAPIKey(
        application_pb2.CreateApplicationAPIKeyRequest(
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-a"),
            rights=[rights_pb2.RIGHT_APPLICATION_INFO],
        ),
        metadata=server.md(),
    )
    own = await access.ListRights(
        identifiers_pb2.ApplicationIdentifiers(application_id="app-a"), metadata=server.md(key.key)
    )
    assert list(own.rights) == [rights_pb2.RIGHT_APPLICATION_INFO]
    other = await access.ListRights(
        identifiers_pb2.ApplicationIdentifiers(application_id="app-b"), metadata=server.md(key.key)
    )
    assert list(other.rights) == []
    admin = await access.ListRights(
        identifiers_pb2.ApplicationIdentifiers(application_id="app-b"), metadata=server.md()
    )
    assert rights_pb2.RIGHT_APPLICATION_DELETE in admin.rights
