"""Rights caches of other services follow the IS: a deleted key or collaborator stops working there
within a second, although their cached answers would live for a minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import grpc

from integration.identityserver.harness import Server
from integration.identityserver.helpers import app_ids, app_key, create_app, create_user, user_ids
from integration.identityserver.peer import other_service
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    applicationserver_pubsub_pb2,
    applicationserver_pubsub_pb2_grpc,
    rights_pb2,
)
from ttn.lorawan.v3 import rights_pb2 as r


async def refused_within_a_second(attempt: Callable[[], Awaitable[bool]]) -> None:
    """``attempt`` returns whether the call was allowed; it must turn False within one second."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while await attempt():
        assert loop.time() < deadline, "still allowed after one second"
        await asyncio.sleep(0.02)


async def test_deleted_key_stops_working_on_another_service(server: Server) -> None:
    await create_app(server, "inv-app")
    key = await app_key(server, "inv-app", [r.RIGHT_APPLICATION_INFO])
    async with other_service(server) as other:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{other.grpc_port}")
        stub = applicationserver_pubsub_pb2_grpc.ApplicationPubSubRegistryStub(channel)
        request = applicationserver_pubsub_pb2.ListApplicationPubSubsRequest(application_ids=app_ids("inv-app"))

        async def allowed() -> bool:
            try:
                await stub.List(request, metadata=server.md(key))
            except grpc.aio.AioRpcError as err:
                assert err.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
                return False
            return True

        assert await allowed()
        access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)
        await access.UpdateAPIKey(
            application_pb2.UpdateApplicationAPIKeyRequest(
                application_ids=app_ids("inv-app"),
                api_key=rights_pb2.APIKey(id=key.split(".")[1]),
                field_mask={"paths": ["rights"]},
            ),
            metadata=server.md(),
        )
        await refused_within_a_second(allowed)
        await channel.close()


async def test_removed_collaborator_loses_access_over_rest(server: Server) -> None:
    user_key = await create_user(server, "inv-user")
    await create_app(server, "inv-app")
    access = application_services_pb2_grpc.ApplicationAccessStub(server.channel)

    async def set_rights(rights: list[int]) -> None:
        await access.SetCollaborator(
            application_pb2.SetApplicationCollaboratorRequest(
                application_ids=app_ids("inv-app"),
                collaborator=rights_pb2.Collaborator(ids=user_ids("inv-user"), rights=rights),  # type: ignore[arg-type]
            ),
            metadata=server.md(),
        )

    await set_rights([r.RIGHT_APPLICATION_INFO])
    async with other_service(server) as other:
        url = f"http://127.0.0.1:{other.http_port}/api/v3/as/pubsub/inv-app"

        async def allowed() -> bool:
            async with server.http.get(url, headers=server.headers(user_key)) as resp:
                assert resp.status in (200, 403), await resp.text()
                return resp.status == 200

        assert await allowed()
        await set_rights([])
        await refused_within_a_second(allowed)
