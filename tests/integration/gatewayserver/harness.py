"""A real Gateway Server in-process, with small stand-ins for the IS and the NS, and a UDP gateway.

The fake IS answers GatewayRegistry.GetIdentifiersForEUI/Get and GatewayAccess.ListRights; the fake NS
records every GsNs.HandleUplink. Each server gets its own Redis prefix and events stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
import nats
from google.protobuf import empty_pb2

from gatewayserver.config import GatewayServerConfig
from gatewayserver.server import GatewayServer, build_server
from lorastack.component import Component
from lorastack.config import load
from lorastack.events import EventBus, StreamSettings
from lorastack.storage import redis as lsredis
from ttn.lorawan.v3 import (
    gateway_pb2,
    gateway_services_pb2_grpc,
    identifiers_pb2,
    identityserver_pb2,
    identityserver_pb2_grpc,
    messages_pb2,
    networkserver_pb2_grpc,
    rights_pb2,
)

CLUSTER_KEY = bytes(range(16))
USER_KEY = "NNSXS.GATEWAYOWNER.SECRET"
GATEWAY_KEY = "NNSXS.GATEWAYITSELF.SECRET"
EUI = bytes.fromhex("AA555A0000000101")
OTHER_EUI = bytes.fromhex("AA555A0000000202")


class FakeIS(
    gateway_services_pb2_grpc.GatewayRegistryServicer,
    gateway_services_pb2_grpc.GatewayAccessServicer,
    identityserver_pb2_grpc.EntityAccessServicer,
):
    def __init__(self) -> None:
        self.gateways: dict[bytes, gateway_pb2.Gateway] = {}
        self.eui_lookups = 0

    def add(self, gateway_id: str, eui: bytes, plan: str = "EU_863_870", **fields: Any) -> None:
        self.gateways[eui] = gateway_pb2.Gateway(
            ids=identifiers_pb2.GatewayIdentifiers(gateway_id=gateway_id, eui=eui),
            frequency_plan_id=plan,
            frequency_plan_ids=[plan],
            enforce_duty_cycle=True,
            **fields,
        )

    async def GetIdentifiersForEUI(self, request: Any, context: Any) -> identifiers_pb2.GatewayIdentifiers:
        self.eui_lookups += 1
        gateway = self.gateways.get(request.eui)
        if gateway is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "gateway not found")
        return gateway.ids

    async def Get(self, request: Any, context: Any) -> gateway_pb2.Gateway:
        for gateway in self.gateways.values():
            if gateway.ids.gateway_id == request.gateway_ids.gateway_id:
                return gateway
        await context.abort(grpc.StatusCode.NOT_FOUND, "gateway not found")
        raise AssertionError

    async def ListRights(self, request: Any, context: Any) -> rights_pb2.Rights:
        auth = dict(context.invocation_metadata()).get("authorization", "")
        if auth == f"Bearer {USER_KEY}":
            return rights_pb2.Rights(rights=[rights_pb2.RIGHT_GATEWAY_ALL])
        if auth == f"Bearer {GATEWAY_KEY}" and request.gateway_id == "gtw-one":
            return rights_pb2.Rights(rights=[rights_pb2.RIGHT_GATEWAY_LINK])
        return rights_pb2.Rights()

    async def AuthInfo(self, request: Any, context: Any) -> identityserver_pb2.AuthInfoResponse:
        auth = dict(context.invocation_metadata()).get("authorization", "")
        if auth == f"Bearer {GATEWAY_KEY}":
            ids = identifiers_pb2.EntityIdentifiers(
                gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id="gtw-one")
            )
            access = identityserver_pb2.AuthInfoResponse.APIKeyAccess(entity_ids=ids)
            return identityserver_pb2.AuthInfoResponse(api_key=access)
        user = identifiers_pb2.EntityIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id="someone"))
        return identityserver_pb2.AuthInfoResponse(
            api_key=identityserver_pb2.AuthInfoResponse.APIKeyAccess(entity_ids=user)
        )


class FakeNS(networkserver_pb2_grpc.GsNsServicer):
    def __init__(self) -> None:
        self.uplinks: asyncio.Queue[messages_pb2.UplinkMessage] = asyncio.Queue()
        self.authorizations: list[str] = []
        self.fail_next = 0

    async def HandleUplink(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.authorizations.append(dict(context.invocation_metadata()).get("authorization", ""))
        if self.fail_next:
            self.fail_next -= 1
            await context.abort(grpc.StatusCode.UNAVAILABLE, "busy")
        await self.uplinks.put(request)
        return empty_pb2.Empty()

    async def next_uplink(self, timeout: float = 5.0) -> messages_pb2.UplinkMessage:
        async with asyncio.timeout(timeout):
            return await self.uplinks.get()


class UdpGateway(asyncio.DatagramProtocol):
    """A packet forwarder's socket: sends datagrams, collects what the server answers."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data)

    async def receive(self, timeout: float = 3.0) -> bytes:
        async with asyncio.timeout(timeout):
            return await self.received.get()

    async def nothing(self, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        assert self.received.empty(), self.received.get_nowait()


@dataclass
class Harness:
    gs: GatewayServer
    config: GatewayServerConfig
    fake_is: FakeIS
    fake_ns: FakeNS
    channel: grpc.aio.Channel
    bus: EventBus
    gateways: list[UdpGateway] = field(default_factory=list)

    @property
    def cluster_md(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"),)

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.gs.component.http_port}/api/v3"

    async def gateway(self) -> UdpGateway:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(
            UdpGateway, remote_addr=("127.0.0.1", self.gs.udp_port), local_addr=("127.0.0.1", 0)
        )
        self.gateways.append(protocol)
        return protocol

    async def metric_reaches(self, value: float, name: str, **labels: str) -> None:
        for _ in range(300):
            if self.metric(name, **labels) >= value:
                break
            await asyncio.sleep(0.01)
        assert self.metric(name, **labels) == value

    def metric(self, name: str, **labels: str) -> float:
        value = self.gs.component.metrics.registry.get_sample_value(f"lorastack_gs_{name}", labels)
        return value or 0.0


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[Harness]:
    fake_is, fake_ns = FakeIS(), FakeNS()
    fake_is.add("gtw-one", EUI)
    peer = grpc.aio.server()
    gateway_services_pb2_grpc.add_GatewayRegistryServicer_to_server(fake_is, peer)
    gateway_services_pb2_grpc.add_GatewayAccessServicer_to_server(fake_is, peer)
    identityserver_pb2_grpc.add_EntityAccessServicer_to_server(fake_is, peer)
    networkserver_pb2_grpc.add_GsNsServicer_to_server(fake_ns, peer)
    peer_port = peer.add_insecure_port("127.0.0.1:0")
    await peer.start()
    tag = uuid.uuid4().hex[:12]
    settings: dict[str, Any] = {
        "grpc_address": "127.0.0.1:0",
        "http_address": "127.0.0.1:0",
        "gs_udp_address": "127.0.0.1:0",
        "gs_basicstation_address": "127.0.0.1:0",
        "peers_is": f"127.0.0.1:{peer_port}",
        "peers_ns": f"127.0.0.1:{peer_port}",
        "cluster_keys": (CLUSTER_KEY,),
        "redis_prefix": f"test-gs-{tag}",
        "events_stream": f"TEST_GS_{tag}",
        "events_subject_prefix": f"test.gs.{tag}",
        "shutdown_grace_seconds": 0.1,
        "gs_uplink_retry_base_ms": 10,
    }
    settings.update(overrides)
    config = load(GatewayServerConfig, {}, **settings)
    component = Component("gs", config)
    redis = lsredis.connect(config.redis_url)
    nc = await nats.connect(config.nats_url)
    bus = EventBus(
        nc,
        stream=config.events_stream,
        subject_prefix=config.events_subject_prefix,
        origin="test/gs",
        settings=StreamSettings(max_age_seconds=60, max_msgs=10_000, max_bytes=1 << 24, memory=True),
        registry=component.metrics.registry,
    )
    await bus.start()
    gs = build_server(config, component, redis, bus)
    await component.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}")
    harness = Harness(gs, config, fake_is, fake_ns, channel, bus)
    try:
        yield harness
    finally:
        for gateway in harness.gateways:
            if gateway.transport is not None:
                gateway.transport.close()
        await channel.close()
        await component.stop()
        await bus.delete_stream()
        await nc.close()
        keys = [key async for key in redis.scan_iter(match=f"{config.redis_prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await peer.stop(None)
