"""A Network Server in-process against the real Redis and NATS, with stand-ins for its peers:
an IS answering ApplicationAccess.ListRights, a JS answering NsJs.HandleJoin, a GS recording
NsGs.ScheduleDownlink calls."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
import nats
from google.protobuf import empty_pb2
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from lorastack.component import Component
from lorastack.events import EventBus
from networkserver.config import NetworkServerConfig
from networkserver.server import build
from ttn.lorawan.v3 import (
    application_services_pb2_grpc,
    gatewayserver_pb2,
    gatewayserver_pb2_grpc,
    identifiers_pb2,
    join_pb2,
    joinserver_pb2_grpc,
    messages_pb2,
    networkserver_pb2_grpc,
    rights_pb2,
)

CLUSTER_KEY = bytes(range(16))
CLUSTER_MD = (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"),)
TOKEN = "NNSXS.TESTKEY.SECRET"
USER_MD = (("authorization", f"Bearer {TOKEN}"),)
REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeIdentityServer(application_services_pb2_grpc.ApplicationAccessServicer):
    """Grants ``rights`` on every application to the bearer TOKEN, nothing to anyone else."""

    def __init__(self) -> None:
        self.rights: list[int] = [rights_pb2.RIGHT_APPLICATION_ALL]

    async def ListRights(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> rights_pb2.Rights:
        md = dict(context.invocation_metadata())
        if md.get("authorization") != f"Bearer {TOKEN}":
            return rights_pb2.Rights()
        return rights_pb2.Rights(rights=self.rights)


class FakeGatewayServer(gatewayserver_pb2_grpc.NsGsServicer):
    """Records downlinks; refuses RX1 when ``refuse_rx1`` so RX2 fallback can be seen."""

    def __init__(self) -> None:
        self.requests: list[messages_pb2.DownlinkMessage] = []
        self.refuse_rx1 = False
        self.refuse_all = False

    async def wait_for_requests(self, timeout: float = 3.0) -> list[messages_pb2.DownlinkMessage]:
        """The downlinks asked for so far, once there is one (or ``timeout`` passed): poll, as a
        downlink task on a loaded machine takes its time."""
        for _ in range(int(timeout / 0.05)):
            if self.requests:
                break
            await asyncio.sleep(0.05)
        return self.requests

    async def ScheduleDownlink(
        self, request: messages_pb2.DownlinkMessage, context: Any
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse:
        self.requests.append(request)
        if self.refuse_all or (self.refuse_rx1 and request.request.rx1_frequency):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "rx1 busy")
        return gatewayserver_pb2.ScheduleDownlinkResponse(rx1=bool(request.request.rx1_frequency))


class FakeJoinServer(joinserver_pb2_grpc.NsJsServicer):
    """Answers with ``answer(request)``, built by the test with the lorawan library."""

    def __init__(self) -> None:
        self.requests: list[join_pb2.JoinRequest] = []
        self.answer: Callable[[join_pb2.JoinRequest], join_pb2.JoinResponse] | None = None

    async def HandleJoin(self, request: join_pb2.JoinRequest, context: Any) -> join_pb2.JoinResponse:
        self.requests.append(request)
        if self.answer is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "unknown device")
        assert self.answer is not None
        return self.answer(request)


@dataclass
class Peers:
    server: grpc.aio.Server
    address: str
    identity: FakeIdentityServer = field(default_factory=FakeIdentityServer)
    gateway: FakeGatewayServer = field(default_factory=FakeGatewayServer)
    join: FakeJoinServer = field(default_factory=FakeJoinServer)


@contextlib.asynccontextmanager
async def fake_peers() -> AsyncIterator[Peers]:
    server = grpc.aio.server()
    port = server.add_insecure_port("127.0.0.1:0")
    peers = Peers(server, f"127.0.0.1:{port}")
    application_services_pb2_grpc.add_ApplicationAccessServicer_to_server(peers.identity, server)
    gatewayserver_pb2_grpc.add_NsGsServicer_to_server(peers.gateway, server)
    joinserver_pb2_grpc.add_NsJsServicer_to_server(peers.join, server)
    await server.start()
    try:
        yield peers
    finally:
        await server.stop(None)


def ns_config(tag: str, peers_address: str, **overrides: Any) -> NetworkServerConfig:
    values: dict[str, Any] = {
        "grpc_address": "127.0.0.1:0",
        "http_address": "127.0.0.1:0",
        "redis_url": REDIS_URL,
        "redis_prefix": f"test:{tag}",
        "events_stream": f"TEST_NS_{tag}",
        "events_subject_prefix": f"test.ns.{tag}",
        "cluster_keys": (CLUSTER_KEY,),
        "peers_is": peers_address,
        "peers_gs": peers_address,
        "peers_js": peers_address,
        "ns_net_id": "000013",
        "ns_dedup_window_ms": 100,
        "ns_cooldown_window_ms": 500,
        "ns_class_c_retry_ms": 100,
        "shutdown_grace_seconds": 0.5,
    }
    values.update(overrides)
    return NetworkServerConfig(**values)


@contextlib.asynccontextmanager
async def running_ns(configs: Iterable[NetworkServerConfig]) -> AsyncIterator[list[Component]]:
    """Start one NS per config; on exit stop them and remove their Redis keys and event streams."""
    started: list[Component] = []
    configs = list(configs)
    try:
        for config in configs:
            component = await build(config)
            await component.start()
            started.append(component)
        yield started
    finally:
        for component in started:
            await component.stop()
        await _cleanup(configs)


async def _cleanup(configs: list[NetworkServerConfig]) -> None:
    redis = Redis.from_url(REDIS_URL)
    nc = await nats.connect(configs[0].nats_url)
    try:
        for config in {c.redis_prefix for c in configs}:
            keys = [k async for k in redis.scan_iter(match=f"{config}:*", count=1000)]
            if keys:
                await redis.delete(*keys)
        for stream in {c.events_stream for c in configs}:
            with contextlib.suppress(Exception):
                await nc.jsm().delete_stream(stream)
    finally:
        await redis.aclose()
        await nc.close()


def new_tag() -> str:
    return uuid.uuid4().hex[:10]


async def event_names(config: NetworkServerConfig, wait: float = 0.5) -> list[str]:
    """Names of every event the NS published so far (replayed from its stream)."""
    nc = await nats.connect(config.nats_url)
    names: list[str] = []
    try:
        bus = EventBus(
            nc, stream=config.events_stream, subject_prefix=config.events_subject_prefix, registry=CollectorRegistry()
        )
        async with bus.subscribe(tail=1000) as sub:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    async for event in sub:
                        names.append(event.name)
    finally:
        await nc.close()
    return names


async def read_link(
    channel: grpc.aio.Channel, application_id: str, count: int, timeout: float = 3.0
) -> list[messages_pb2.ApplicationUp]:
    """Read up to ``count`` messages from AsNs.LinkApplication, acknowledging each as the AS does;
    stops early (without raising) when ``timeout`` passes."""
    acks: asyncio.Queue[empty_pb2.Empty] = asyncio.Queue()

    async def requests() -> AsyncIterator[empty_pb2.Empty]:
        while True:
            yield await acks.get()

    call = networkserver_pb2_grpc.AsNsStub(channel).LinkApplication(
        requests(), metadata=(*CLUSTER_MD, ("id", application_id))
    )
    out: list[messages_pb2.ApplicationUp] = []
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(out) < count:
                    out.append(await call.read())
                    acks.put_nowait(empty_pb2.Empty())
        await asyncio.sleep(0.1)  # let the acknowledgements reach the NS
    finally:
        call.cancel()
    return out
