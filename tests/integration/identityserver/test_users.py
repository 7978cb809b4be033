"""UserRegistry and UserAccess over gRPC and REST; AuthInfo; the bootstrap command's idempotence."""

from __future__ import annotations

import grpc
import pytest

from identityserver.bootstrap import bootstrap
from integration.identityserver.harness import Server
from integration.identityserver.helpers import create_user
from ttn.lorawan.v3 import identifiers_pb2, user_pb2, user_services_pb2_grpc


async def test_user_lifecycle_over_rest(server: Server) -> None:
    status, body, _ = await server.rest(
        "POST",
        "/users",
        body={
            "user": {
                "ids": {"user_id": "dave"},
                "name": "Dave",
                "primary_email_address": "dave@example.com",
                "password": "a good password",
            }
        },
    )
    assert status == 200, body
    assert body["name"] == "Dave" and "password" not in body
    status, body, _ = await server.rest("GET", "/users/dave?field_mask=name,primary_email_address")
    assert status == 200 and body["primary_email_address"] == "dave@example.com"
    status, body, _ = await server.rest(
        "PUT", "/users/dave", body={"user": {"description": "hi"}, "field_mask": {"paths": ["description"]}}
    )
    assert status == 200 and body["description"] == "hi"
    status, _, _ = await server.rest("PUT", "/users/dave", body={"user": {}, "field_mask": {"paths": ["password"]}})
    assert status == 400
    status, _, _ = await server.rest(
        "POST", "/users", body={"user": {"ids": {"user_id": "dave"}, "password": "a good password"}}
    )
    assert status == 409
    status, _, _ = await server.rest("POST", "/users", body={"user": {"ids": {"user_id": "erin"}, "password": "short"}})
    assert status == 400
    status, _, _ = await server.rest("POST", "/users/dave/temporary_password")
    assert status == 200
    status, _, _ = await server.rest("DELETE", "/users/dave")
    assert status == 200
    status, _, _ = await server.rest("GET", "/users/dave")
    assert status == 404


async def test_passwords_and_own_keys(server: Server) -> None:
    frank = await create_user(server, "frank")
    users = user_services_pb2_grpc.UserRegistryStub(server.channel)
    frank_ids = identifiers_pb2.UserIdentifiers(user_id="frank")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await users.UpdatePassword(
            user_pb2.UpdateUserPasswordRequest(user_ids=frank_ids, old="wrong password", new="another good one"),
            metadata=server.md(frank),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await users.UpdatePassword(
        user_pb2.UpdateUserPasswordRequest(user_ids=frank_ids, old="a good password", new="another good one"),
        metadata=server.md(frank),
    )
    status, body, _ = await server.rest(
        "PUT", "/users/frank/password", key=frank, body={"old": "another good one", "new": "third good one"}
    )
    assert status == 200, body
    # Only administrators make accounts or admins.
    status, _, _ = await server.rest(
        "POST", "/users", key=frank, body={"user": {"ids": {"user_id": "mallory"}, "password": "a good password"}}
    )
    assert status == 403
    status, _, _ = await server.rest(
        "PUT", "/users/frank", key=frank, body={"user": {"admin": True}, "field_mask": {"paths": ["admin"]}}
    )
    assert status == 403
    # Keys of one's own account: create, list, get, update, delete by zero rights.
    status, key, _ = await server.rest(
        "POST", "/users/frank/api-keys", key=frank, body={"name": "k", "rights": ["RIGHT_USER_INFO"]}
    )
    assert status == 200 and key["key"].startswith("NNSXS.")
    status, listed, headers = await server.rest("GET", "/users/frank/api-keys?limit=1", key=frank)
    assert headers["X-Total-Count"] == "2" and len(listed["api_keys"]) == 1
    status, got, _ = await server.rest("GET", f"/users/frank/api-keys/{key['id']}", key=frank)
    assert got["rights"] == ["RIGHT_USER_INFO"] and "key" not in got
    status, got, _ = await server.rest(
        "PUT",
        f"/users/frank/api-keys/{key['id']}",
        key=frank,
        body={"api_key": {"name": "renamed"}, "field_mask": {"paths": ["name"]}},
    )
    assert status == 200 and got["name"] == "renamed" and got["rights"] == ["RIGHT_USER_INFO"]
    status, _, _ = await server.rest(
        "PUT",
        f"/users/frank/api-keys/{key['id']}",
        key=frank,
        body={"api_key": {"rights": []}, "field_mask": {"paths": ["rights"]}},
    )
    assert status == 200
    status, _, _ = await server.rest("GET", "/users/frank", key=key["key"])
    assert status == 401
    status, _, _ = await server.rest("GET", "/users/admin", key=frank)
    assert status == 403


async def test_auth_info(server: Server) -> None:
    status, body, _ = await server.rest("GET", "/auth_info")
    assert status == 200
    assert body["is_admin"] is True
    assert body["api_key"]["entity_ids"] == {"user_ids": {"user_id": "admin"}}
    assert "key" not in body["api_key"]["api_key"]
    async with server.http.get(server.base + "/auth_info") as resp:
        assert resp.status == 200


async def test_bootstrap_is_idempotent(server: Server) -> None:
    again = await bootstrap(server.config)
    assert again.api_key is None and not again.created_user
