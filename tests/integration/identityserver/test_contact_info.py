"""ContactInfoRegistry over gRPC and REST: a mailed, hashed, expiring, single-use token validates
the user's primary e-mail address; bad tokens are refused with nothing changed.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest

from integration.identityserver.harness import Server
from integration.identityserver.helpers import create_user
from integration.identityserver.mail import field, outbox, sql
from lorastack import events
from ttn.lorawan.v3 import contact_info_pb2, contact_info_pb2_grpc, identifiers_pb2, user_pb2, user_services_pb2_grpc


async def _with_email(server: Server, user_id: str, email: str) -> str:
    key = await create_user(server, user_id)
    status, body, _ = await server.rest(
        "PUT",
        f"/users/{user_id}",
        body={"user": {"primary_email_address": email}, "field_mask": {"paths": ["primary_email_address"]}},
    )
    assert status == 200, body
    return key


async def _validated_at(server: Server, user_id: str) -> str | None:
    status, body, _ = await server.rest("GET", f"/users/{user_id}?field_mask=primary_email_address_validated_at")
    assert status == 200
    return body.get("primary_email_address_validated_at")


async def _patch(server: Server, validation_id: str, token: str) -> tuple[int, object]:
    # No Authorization header: the token is the credential.
    url = f"{server.base}/contact_info/validation?id={validation_id}&token={token}"
    async with server.http.patch(url) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_validation_request_and_confirm(server: Server) -> None:
    alice = await _with_email(server, "alice", "alice@example.com")
    bob = await create_user(server, "bob")
    status, requested, _ = await server.rest("POST", "/contact_info/validation?user_ids.user_id=alice", key=alice)
    assert status == 200, requested
    assert requested["entity"] == {"user_ids": {"user_id": "alice"}} and "token" not in requested
    assert requested["contact_info"][0]["value"] == "alice@example.com"
    assert requested["contact_info"][0]["contact_method"] == "CONTACT_METHOD_EMAIL"
    # Asking again while a token is out is refused; so is anyone without rights on the user.
    status, _, _ = await server.rest("POST", "/contact_info/validation?user_ids.user_id=alice", key=alice)
    assert status == 409
    registry = contact_info_pb2_grpc.ContactInfoRegistryStub(server.channel)
    alice_ids = identifiers_pb2.EntityIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id="alice"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.RequestValidation(alice_ids, metadata=server.md(bob))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.RequestValidation(
            identifiers_pb2.EntityIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id="bob")),
            metadata=server.md(bob),
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # bob has no address

    mails = await outbox(server, "alice@example.com")
    assert len(mails) == 1 and mails[0].kind == "validate"
    token = field(mails[0].body, "token")
    assert field(mails[0].body, "id") == requested["id"]

    status, body = await _patch(server, requested["id"], token[:-2] + "AA")
    assert status == 400 and "wrong token" in str(body)
    assert await _validated_at(server, "alice") is None

    config = server.config
    bus = events.EventBus(
        config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix, origin="test"
    )
    async with bus:
        await registry.Validate(contact_info_pb2.ContactInfoValidation(id=requested["id"], token=token))
        async with bus.subscribe([events.user("alice")], tail=10) as sub:
            names = []
            while "is.contact_info.validate" not in names:
                names.append((await asyncio.wait_for(anext(sub), 5)).name)
    stamp = await _validated_at(server, "alice")
    assert stamp is not None
    status, body = await _patch(server, requested["id"], token)
    assert status == 400 and "already used" in str(body)
    assert await _validated_at(server, "alice") == stamp
    status, _, _ = await server.rest("POST", "/contact_info/validation?user_ids.user_id=alice", key=alice)
    assert status == 409  # already validated

    # A new address is not validated, and users cannot stamp their own.
    status, body, _ = await server.rest(
        "PUT",
        "/users/alice",
        key=alice,
        body={
            "user": {"primary_email_address": "alice@new.example"},
            "field_mask": {"paths": ["primary_email_address"]},
        },
    )
    assert status == 200, body
    assert await _validated_at(server, "alice") is None
    status, _, _ = await server.rest(
        "PUT",
        "/users/alice",
        key=alice,
        body={
            "user": {"primary_email_address_validated_at": "2030-01-01T00:00:00Z"},
            "field_mask": {"paths": ["primary_email_address_validated_at"]},
        },
    )
    assert status == 403


async def test_expired_and_stale_tokens_change_nothing(server: Server) -> None:
    carol = await _with_email(server, "carol", "carol@example.com")
    registry = contact_info_pb2_grpc.ContactInfoRegistryStub(server.channel)
    carol_ids = identifiers_pb2.EntityIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id="carol"))
    first = await registry.RequestValidation(carol_ids, metadata=server.md(carol))
    token = field((await outbox(server, "carol@example.com"))[0].body, "token")
    await sql(server, "UPDATE contact_info_validations SET expires_at = now() - interval '1 second'")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.Validate(contact_info_pb2.ContactInfoValidation(id=first.id, token=token))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "expired" in (err.value.details() or "")
    assert await _validated_at(server, "carol") is None

    # An expired token does not block a new request; an address changed since then voids the token.
    second = await registry.RequestValidation(carol_ids, metadata=server.md(carol))
    token = field((await outbox(server, "carol@example.com"))[1].body, "token")
    users = user_services_pb2_grpc.UserRegistryStub(server.channel)
    await users.Update(
        user_pb2.UpdateUserRequest(
            user=user_pb2.User(ids=identifiers_pb2.UserIdentifiers(user_id="carol"), primary_email_address="c@x.org"),
            field_mask={"paths": ["primary_email_address"]},
        ),
        metadata=server.md(carol),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.Validate(contact_info_pb2.ContactInfoValidation(id=second.id, token=token))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "changed" in (err.value.details() or "")
    assert await _validated_at(server, "carol") is None
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await registry.Validate(contact_info_pb2.ContactInfoValidation(id="nope", token="nope"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
