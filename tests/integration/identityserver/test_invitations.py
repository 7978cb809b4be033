"""UserInvitationRegistry over gRPC and REST with its rights, and registration with the mailed token
while self-registration is closed; expired, reused and unknown tokens are refused, nothing created.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from integration.identityserver.harness import Server, running_server
from integration.identityserver.helpers import create_user
from integration.identityserver.mail import field, outbox, sql
from lorastack import events
from ttn.lorawan.v3 import identifiers_pb2, user_pb2, user_services_pb2_grpc
from ttn.lorawan.v3 import rights_pb2 as r


async def _register(server: Server, user_id: str, token: str = "", email: str = "") -> tuple[int, Any]:
    """POST /users without credentials, as a person without an account."""
    user: dict[str, Any] = {"ids": {"user_id": user_id}, "password": "a good password"}
    if email:
        user["primary_email_address"] = email
    body: dict[str, Any] = {"user": user}
    if token:
        body["invitation_token"] = token
    async with server.http.post(server.base + "/users", json=body) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_invitations_and_registration(server: Server) -> None:
    inviter = await create_user(server, "inviter", rights=(r.RIGHT_USER_ALL, r.RIGHT_SEND_INVITES))
    plain = await create_user(server, "plain", rights=(r.RIGHT_USER_ALL,))
    status, _ = await _register(server, "nobody")
    assert status == 403  # closed registration needs an invitation

    config = server.config
    bus = events.EventBus(
        config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix, origin="test"
    )
    async with bus:
        status, sent, _ = await server.rest("POST", "/invitations", key=inviter, body={"email": "New@Example.com"})
        assert status == 200, sent
        assert sent["email"] == "new@example.com" and "token" not in sent and "expires_at" in sent
        async with bus.subscribe([events.user("inviter")], tail=10) as sub:
            names: list[str] = []
            while "is.invitation.create" not in names:
                names.append((await asyncio.wait_for(anext(sub), 5)).name)
    status, _, _ = await server.rest("POST", "/invitations", key=inviter, body={"email": "new@example.com"})
    assert status == 409
    status, _, _ = await server.rest("POST", "/invitations", key=plain, body={"email": "x@example.com"})
    assert status == 403
    status, _, _ = await server.rest("POST", "/invitations", key=inviter, body={"email": "not-an-address"})
    assert status == 400

    registry = user_services_pb2_grpc.UserInvitationRegistryStub(server.channel)
    admin_sent = await registry.Send(user_pb2.SendInvitationRequest(email="other@example.com"), metadata=server.md())
    assert admin_sent.email == "other@example.com"
    # The inviter lists their own invitations, the administrator all of them.
    status, mine, headers = await server.rest("GET", "/invitations", key=inviter)
    assert status == 200 and headers["X-Total-Count"] == "1" and mine["invitations"][0]["email"] == "new@example.com"
    listed = await registry.List(user_pb2.ListInvitationsRequest(limit=1), metadata=server.md())
    assert len(listed.invitations) == 1
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.List(user_pb2.ListInvitationsRequest(), metadata=server.md(plain))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.Delete(user_pb2.DeleteInvitationRequest(email="other@example.com"), metadata=server.md(inviter))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # not theirs

    token = field((await outbox(server, "new@example.com"))[0].body, "invitation_token")
    status, body = await _register(server, "newbie", token[:-3] + "xyz")
    assert status == 400 and "unknown invitation token" in str(body)
    status, created = await _register(server, "newbie", token)
    assert status == 200, created
    assert created["primary_email_address"] == "new@example.com" and "primary_email_address_validated_at" in created
    assert not created.get("admin")
    status, body = await _register(server, "second", token)
    assert status == 400 and "already accepted" in str(body)
    status, mine, _ = await server.rest("GET", "/invitations", key=inviter)
    assert mine["invitations"][0]["accepted_by"] == {"user_id": "newbie"}

    # An expired invitation registers nobody; deleting one makes its token unknown.
    other = field((await outbox(server, "other@example.com"))[0].body, "invitation_token")
    await sql(
        server, "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = %s", "other@example.com"
    )
    users = user_services_pb2_grpc.UserRegistryStub(server.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await users.Create(
            user_pb2.CreateUserRequest(
                user=user_pb2.User(ids=identifiers_pb2.UserIdentifiers(user_id="late"), password="a good password"),
                invitation_token=other,
            )
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "expired" in (err.value.details() or "")
    status, _, _ = await server.rest("GET", "/users/late")
    assert status == 404
    status, _, _ = await server.rest("DELETE", "/invitations?email=other@example.com")
    assert status == 200
    status, _ = await _register(server, "late", other)
    assert status == 400
    status, _, _ = await server.rest("DELETE", "/invitations?email=other@example.com")
    assert status == 404


async def test_taken_user_id_gives_the_invitation_back() -> None:
    async with running_server() as server:
        await server.rest("POST", "/invitations", body={"email": "z@example.com"})
        token = field((await outbox(server, "z@example.com"))[0].body, "invitation_token")
        status, _ = await _register(server, "admin", token)
        assert status == 409
        status, _ = await _register(server, "zed", token)
        assert status == 200


async def test_open_registration() -> None:
    async with running_server(is_self_registration=True) as server:
        status, created = await _register(server, "walkin", email="w@example.com")
        assert status == 200 and "primary_email_address_validated_at" not in created
