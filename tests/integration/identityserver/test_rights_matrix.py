"""The rights matrix: 403 without the right, 401 for unknown or expired keys, keys bound to their
entity, collaborators removed at once, rights through organizations, tenants kept apart.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from integration.identityserver.harness import Server, add_tenant
from integration.identityserver.helpers import app_ids, app_key, create_app, create_user, user_ids
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    identifiers_pb2,
    organization_pb2,
    organization_services_pb2_grpc,
    rights_pb2,
)
from ttn.lorawan.v3 import rights_pb2 as r


async def code_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    return err.value.code()


async def test_each_operation_needs_its_right(server: Server) -> None:
    await create_app(server, "app-a")
    info_only = await app_key(server, "app-a", [r.RIGHT_APPLICATION_INFO])
    registry = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
    md = server.md(info_only)
    await registry.Get(application_pb2.GetApplicationRequest(application_ids=app_ids("app-a")), metadata=md)
    denied = [
        registry.Update(
            application_pb2.UpdateApplicationRequest(
                application=application_pb2.Application(ids=app_ids("app-a"), name="x"),
                field_mask={"paths": ["name"]},
            ),
            metadata=md,
        ),
        registry.Delete(app_ids("app-a"), metadata=md),
        access.CreateAPIKey(
            application_pb2.CreateApplicationAPIKeyRequest(
                application_ids=app_ids("app-a"), rights=[r.RIGHT_APPLICATION_INFO]
            ),
            metadata=md,
        ),
        access.ListAPIKeys(
            application_pb2.ListApplicationAPIKeysRequest(application_ids=app_ids("app-a")), metadata=md
        ),
        access.ListCollaborators(
            application_pb2.ListApplicationCollaboratorsRequest(application_ids=app_ids("app-a")), metadata=md
        ),
    ]
    for call in denied:
        assert await code_of(call) == grpc.StatusCode.PERMISSION_DENIED
    for method, path in (
        ("PUT", "/applications/app-a"),
        ("DELETE", "/applications/app-a"),
        ("GET", "/applications/app-a/api-keys"),
        ("GET", "/applications/app-a/collaborators"),
    ):
        status, _, _ = await server.rest(
            method,
            path,
            key=info_only,
            body={"application": {"name": "x"}, "field_mask": {"paths": ["name"]}} if method == "PUT" else None,
        )
        assert status == 403, (method, path)


async def test_unknown_malformed_and_expired_keys_are_401(server: Server) -> None:
    await create_app(server, "app-a")
    # A wrong secret for a real key id: change the last character to one it is not.
    tampered = server.admin_key[:-1] + ("B" if server.admin_key.endswith("A") else "A")
    for bad in ("NNSXS.UNKNOWNKEYID.SECRET", "not-a-key", tampered):
        status, _, _ = await server.rest("GET", "/applications/app-a", key=bad)
        assert status == 401, bad
    short = await app_key(server, "app-a", [r.RIGHT_APPLICATION_INFO], expires=datetime.now(UTC) + timedelta(seconds=1))
    status, _, _ = await server.rest("GET", "/applications/app-a", key=short)
    assert status == 200
    await asyncio.sleep(1.2)
    status, body, _ = await server.rest("GET", "/applications/app-a", key=short)
    assert status == 401 and "expired" in body["message"]
    registry = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
    call = registry.Get(
        application_pb2.GetApplicationRequest(application_ids=app_ids("app-a")), metadata=server.md(short)
    )
    assert await code_of(call) == grpc.StatusCode.UNAUTHENTICATED


async def test_application_key_cannot_touch_another_application(server: Server) -> None:
    await create_app(server, "app-a")
    await create_app(server, "app-b")
    key_a = await app_key(server, "app-a", [r.RIGHT_APPLICATION_ALL])
    for method, path in (("GET", "/applications/app-b"), ("DELETE", "/applications/app-b")):
        status, _, _ = await server.rest(method, path, key=key_a)
        assert status == 403
    status, _, _ = await server.rest(
        "POST", "/applications/app-b/api-keys", key=key_a, body={"rights": ["RIGHT_APPLICATION_INFO"]}
    )
    assert status == 403
    status, body, headers = await server.rest("GET", "/applications", key=key_a)
    assert headers["X-Total-Count"] == "1" and body["applications"][0]["ids"]["application_id"] == "app-a"


async def test_nobody_grants_rights_they_lack(server: Server) -> None:
    await create_app(server, "app-a")
    limited = await app_key(server, "app-a", [r.RIGHT_APPLICATION_INFO, r.RIGHT_APPLICATION_SETTINGS_API_KEYS])
    status, body, _ = await server.rest(
        "POST", "/applications/app-a/api-keys", key=limited, body={"rights": ["RIGHT_APPLICATION_DELETE"]}
    )
    assert status == 403 and "RIGHT_APPLICATION_DELETE" in body["message"]
    status, body, _ = await server.rest(
        "POST", "/applications/app-a/api-keys", key=limited, body={"rights": ["RIGHT_APPLICATION_INFO"]}
    )
    assert status == 200


async def test_removed_collaborator_loses_access_at_once(server: Server) -> None:
    bob = await create_user(server, "bob")
    await create_app(server, "app-a")
    body = {"collaborator": {"ids": {"user_ids": {"user_id": "bob"}}, "rights": ["RIGHT_APPLICATION_ALL"]}}
    status, _, _ = await server.rest("PUT", "/applications/app-a/collaborators", body=body)
    assert status == 200
    status, got, _ = await server.rest("GET", "/applications/app-a/collaborator/user/bob")
    assert status == 200 and got["rights"] == ["RIGHT_APPLICATION_ALL"]
    status, _, _ = await server.rest("GET", "/applications/app-a", key=bob)
    assert status == 200
    status, _, headers = await server.rest("GET", "/applications/app-a/collaborators")
    assert headers["X-Total-Count"] == "2"
    status, _, _ = await server.rest(
        "PUT", "/applications/app-a/collaborators", body={"collaborator": {"ids": {"user_ids": {"user_id": "bob"}}}}
    )
    assert status == 200
    status, _, _ = await server.rest("GET", "/applications/app-a", key=bob)
    assert status == 403
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
    rights = await access.ListRights(app_ids("app-a"), metadata=server.md(bob))
    assert list(rights.rights) == []


async def test_last_collaborator_with_all_rights_stays(server: Server) -> None:
    await create_app(server, "app-a")
    body = {"collaborator": {"ids": {"user_ids": {"user_id": "admin"}}, "rights": ["RIGHT_APPLICATION_INFO"]}}
    status, err, _ = await server.rest("PUT", "/applications/app-a/collaborators", body=body)
    assert status == 400 and "all rights" in err["message"]
    status, _, _ = await server.rest(
        "PUT", "/applications/app-a/collaborators", body={"collaborator": {"ids": {"user_ids": {"user_id": "admin"}}}}
    )
    assert status == 400


async def test_rights_through_organization_are_the_intersection(server: Server) -> None:
    carol = await create_user(server, "carol")
    orgs = organization_services_pb2_grpc.OrganizationRegistryStub(server.channel)
    await orgs.Create(
        organization_pb2.CreateOrganizationRequest(
            organization=organization_pb2.Organization(
                ids=identifiers_pb2.OrganizationIdentifiers(organization_id="org-1")
            ),
            collaborator=user_ids("admin"),
        ),
        metadata=server.md(),
    )
    members = organization_services_pb2_grpc.OrganizationAccessStub(server.channel)
    await members.SetCollaborator(
        organization_pb2.SetOrganizationCollaboratorRequest(
            organization_ids=identifiers_pb2.OrganizationIdentifiers(organization_id="org-1"),
            collaborator=rights_pb2.Collaborator(
                ids=user_ids("carol"), rights=[r.RIGHT_ORGANIZATION_INFO, r.RIGHT_APPLICATION_INFO]
            ),
        ),
        metadata=server.md(),
    )
    status, _, _ = await server.rest(
        "POST", "/organizations/org-1/applications", body={"application": {"ids": {"application_id": "org-app"}}}
    )
    assert status == 200
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
    rights = await access.ListRights(app_ids("org-app"), metadata=server.md(carol))
    assert list(rights.rights) == [r.RIGHT_APPLICATION_INFO]
    status, _, _ = await server.rest("GET", "/applications/org-app", key=carol)
    assert status == 200
    status, _, _ = await server.rest("DELETE", "/applications/org-app", key=carol)
    assert status == 403
    status, body, _ = await server.rest("GET", "/applications", key=carol)
    assert [a["ids"]["application_id"] for a in body["applications"]] == ["org-app"]


async def test_tenants_never_see_each_other(server: Server) -> None:
    other_key = await add_tenant(server, "other")
    await create_app(server, "same-id")
    await create_app(server, "same-id", tenant="other", key=other_key)
    status, body, _ = await server.rest(
        "PUT",
        "/applications/same-id",
        key=other_key,
        tenant="other",
        body={"application": {"name": "other tenant"}, "field_mask": {"paths": ["name"]}},
    )
    assert status == 200
    status, body, _ = await server.rest("GET", "/applications/same-id?field_mask=name")
    assert status == 200 and "name" not in body
    # A key of one tenant means nothing in another.
    status, _, _ = await server.rest("GET", "/applications/same-id", key=other_key)
    assert status == 401
    status, _, _ = await server.rest("GET", "/applications/same-id", tenant="other")
    assert status == 401
    status, body, headers = await server.rest("GET", "/applications", key=other_key, tenant="other")
    assert headers["X-Total-Count"] == "1" and body["applications"][0]["ids"]["application_id"] == "same-id"
    status, _, _ = await server.rest("GET", "/applications", tenant="nowhere")
    assert status == 404
