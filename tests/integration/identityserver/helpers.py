"""Small gRPC helpers for the Identity Server tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from integration.identityserver.harness import Server
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    identifiers_pb2,
    rights_pb2,
    user_pb2,
    user_services_pb2_grpc,
)


def user_ids(user_id: str) -> identifiers_pb2.OrganizationOrUserIdentifiers:
    return identifiers_pb2.OrganizationOrUserIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id=user_id))


def app_ids(app_id: str) -> identifiers_pb2.ApplicationIdentifiers:
    return identifiers_pb2.ApplicationIdentifiers(application_id=app_id)


async def create_user(server: Server, user_id: str, *, rights: Sequence[int] = (rights_pb2.RIGHT_ALL,)) -> str:
    """Create a user and a key of that user; returns the key."""
    users = user_services_pb2_grpc.UserRegistryStub(server.channel)
    await users.Create(
        user_pb2.CreateUserRequest(
            user=user_pb2.User(ids=identifiers_pb2.UserIdentifiers(user_id=user_id), password="a good password")
        ),
        metadata=server.md(),
    )
    access = user_services_pb2_grpc.UserAccessStub(server.channel)
    key = await access.CreateAPIKey(
        user_pb2.CreateUserAPIKeyRequest(user_ids=identifiers_pb2.UserIdentifiers(user_id=user_id), rights=rights),
        metadata=server.md(),
    )
    return key.key


async def create_app(
    server: Server, app_id: str, *, owner: str = "admin", key: str | None = None, tenant: str | None = None
) -> application_pb2.Application:
    stub = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    return await stub.Create(
        application_pb2.CreateApplicationRequest(
            application=application_pb2.Application(ids=app_ids(app_id)), collaborator=user_ids(owner)
        ),
        metadata=server.md(key, tenant),
    )


async def app_key(
    server: Server, app_id: str, rights: Sequence[int], *, expires: datetime | None = None, key: str | None = None
) -> str:
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
    request = application_pb2.CreateApplicationAPIKeyRequest(application_ids=app_ids(app_id), rights=rights)
    if expires is not None:
        stamp = Timestamp()
        stamp.FromDatetime(expires)
        request.expires_at.CopyFrom(stamp)
    created = await access.CreateAPIKey(request, metadata=server.md(key))
    return created.key
