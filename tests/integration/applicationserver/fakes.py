"""In-process stand-ins for the AS's peers: a Network Server (AsNs), a Join Server (AsJs) and an
Identity Server (ApplicationAccess.ListRights), served on one gRPC port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import empty_pb2

from lorastack.lorawan.keywrap import wrap_key
from ttn.lorawan.v3 import (
    application_services_pb2_grpc,
    joinserver_pb2,
    joinserver_pb2_grpc,
    keys_pb2,
    messages_pb2,
    networkserver_pb2_grpc,
    rights_pb2,
)


def _metadata(context: Any) -> dict[str, str]:
    return {k: v for k, v in context.invocation_metadata()}


def app_key(app_id: str, metadata: dict[str, str]) -> str:
    """How the tests name an application: ``app`` in the default tenant, ``app@tenant`` in others."""
    tenant = metadata.get("x-tenant-id", "default")
    return app_id if tenant == "default" else f"{app_id}@{tenant}"


class FakeNetworkServer(networkserver_pb2_grpc.AsNsServicer):
    """Streams queued ApplicationUp messages to the linked AS and counts its acknowledgements."""

    def __init__(self) -> None:
        self.outbox: dict[str, asyncio.Queue[messages_pb2.ApplicationUp]] = {}
        self.acks: dict[str, int] = {}
        self.linked: dict[str, asyncio.Event] = {}
        self.link_metadata: dict[str, dict[str, str]] = {}
        self.pushed: list[messages_pb2.DownlinkQueueRequest] = []
        self.pushed_tenants: list[str] = []
        self.replaced: list[messages_pb2.DownlinkQueueRequest] = []
        self.refuse_downlinks = False

    def queue(self, app_id: str) -> asyncio.Queue[messages_pb2.ApplicationUp]:
        return self.outbox.setdefault(app_id, asyncio.Queue())

    def linked_event(self, app_id: str) -> asyncio.Event:
        return self.linked.setdefault(app_id, asyncio.Event())

    async def LinkApplication(
        self, request_iterator: AsyncIterator[empty_pb2.Empty], context: Any
    ) -> AsyncIterator[messages_pb2.ApplicationUp]:
        md = _metadata(context)
        app_id = app_key(md.get("id", ""), md)
        self.link_metadata[app_id] = md
        queue = self.queue(app_id)
        self.linked_event(app_id).set()

        async def count_acks() -> None:
            async for _ in request_iterator:
                self.acks[app_id] = self.acks.get(app_id, 0) + 1

        counter = asyncio.create_task(count_acks())
        try:
            while True:
                yield await queue.get()
        finally:
            counter.cancel()
            self.linked_event(app_id).clear()

    async def DownlinkQueuePush(self, request: messages_pb2.DownlinkQueueRequest, context: Any) -> empty_pb2.Empty:
        if self.refuse_downlinks:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "queue full")
        self.pushed.append(request)
        self.pushed_tenants.append(_metadata(context).get("x-tenant-id", ""))
        return empty_pb2.Empty()

    async def DownlinkQueueReplace(self, request: messages_pb2.DownlinkQueueRequest, context: Any) -> empty_pb2.Empty:
        self.replaced.append(request)
        return empty_pb2.Empty()

    async def DownlinkQueueList(self, request: Any, context: Any) -> messages_pb2.ApplicationDownlinks:
        out = messages_pb2.ApplicationDownlinks()
        for pushed in self.pushed:
            out.downlinks.extend(pushed.downlinks)
        return out


class FakeJoinServer(joinserver_pb2_grpc.AsJsServicer):
    """Hands out one AppSKey per session key id, wrapped with a KEK when a label is set."""

    def __init__(self, *, kek_label: str = "", kek: bytes = b"") -> None:
        self.keys: dict[bytes, bytes] = {}
        self.kek_label = kek_label
        self.kek = kek
        self.requests: list[joinserver_pb2.SessionKeyRequest] = []

    async def GetAppSKey(
        self, request: joinserver_pb2.SessionKeyRequest, context: Any
    ) -> joinserver_pb2.AppSKeyResponse:
        self.requests.append(request)
        key = self.keys.get(request.session_key_id)
        if key is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such session")
        if self.kek_label:
            envelope = keys_pb2.KeyEnvelope(kek_label=self.kek_label, encrypted_key=wrap_key(self.kek, key))
        else:
            envelope = keys_pb2.KeyEnvelope(key=key)
        return joinserver_pb2.AppSKeyResponse(app_s_key=envelope)


class FakeIdentityServer(application_services_pb2_grpc.ApplicationAccessServicer):
    """``Bearer <token>`` holds the rights listed for that token and application (``app@tenant`` outside
    the default tenant, which the call names in ``x-tenant-id`` as the real IS reads it)."""

    def __init__(self) -> None:
        self.grants: dict[tuple[str, str], list[int]] = {}

    def grant(self, token: str, app_id: str, *rights: int) -> None:
        self.grants[(token, app_id)] = list(rights)

    async def ListRights(self, request: Any, context: Any) -> rights_pb2.Rights:
        md = _metadata(context)
        token = md.get("authorization", "").partition(" ")[2]
        held = self.grants.get((token, app_key(request.application_id, md)))
        if held is None:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no rights")
        return rights_pb2.Rights(rights=held)


class FakePeers:
    def __init__(self, *, kek_label: str = "", kek: bytes = b"") -> None:
        self.ns = FakeNetworkServer()
        self.js = FakeJoinServer(kek_label=kek_label, kek=kek)
        self.identity = FakeIdentityServer()
        self.server = grpc.aio.server()
        networkserver_pb2_grpc.add_AsNsServicer_to_server(self.ns, self.server)
        joinserver_pb2_grpc.add_AsJsServicer_to_server(self.js, self.server)
        application_services_pb2_grpc.add_ApplicationAccessServicer_to_server(self.identity, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop(0)
