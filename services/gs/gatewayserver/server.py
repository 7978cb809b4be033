"""Wiring of the Gateway Server: connections, stores, front ends and servicers on a Component."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from gatewayserver.basicstation.lns import LnsFrontend, LnsSettings
from gatewayserver.config import GatewayServerConfig
from gatewayserver.connections import ConnectionRegistry, sub_band_usage
from gatewayserver.gateways import GatewayResolver
from gatewayserver.grpc_configuration import ConfigurationServicer
from gatewayserver.grpc_gatewayconfigurator import GatewayConfiguratorServicer
from gatewayserver.grpc_gs import GsServicer
from gatewayserver.grpc_gtwgs import GtwGsServicer
from gatewayserver.grpc_nsgs import NsGsServicer
from gatewayserver.gtwlink import GrpcFrontend
from gatewayserver.http_gcs import add_gcs_routes
from gatewayserver.observability import EventSink, Observability
from gatewayserver.presence import PresenceTracker, ReplicaForwarder
from gatewayserver.redisstore import RedisConnectionStats, RedisGatewayPresence
from gatewayserver.scheduling.downlink import DownlinkService
from gatewayserver.stats import StatsRecorder
from gatewayserver.udp.listener import UdpFrontend, UdpSettings
from gatewayserver.upstream import UplinkForwarder
from lorastack.component import Component
from lorastack.events import EventBus
from lorastack.service import connect_events, connect_nats, connect_redis, rights_client
from lorastack.storage.redis import Keys

__all__ = ["GatewayServer", "build", "build_server"]


@dataclass(slots=True)
class GatewayServer:
    """The parts tests and the entry point reach into; ``udp_port`` is set once the component started."""

    component: Component
    connections: ConnectionRegistry
    udp: UdpFrontend
    lns: LnsFrontend
    downlinks: DownlinkService
    stats: StatsRecorder
    events: EventSink
    udp_port: int = 0
    lns_port: int = 0


async def build(config: GatewayServerConfig) -> Component:
    component = Component("gs", config)
    redis = connect_redis(component, config.redis_url)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    return build_server(config, component, redis, bus).component


def build_server(
    config: GatewayServerConfig, component: Component, redis: Redis, bus: EventBus | None
) -> GatewayServer:
    peers = component.peers
    obs = Observability.create(component.metrics)
    sink = EventSink(bus)
    presence_store = RedisGatewayPresence(redis, Keys(config.redis_prefix))
    presence = PresenceTracker(presence_store, lambda: peers.address("gs"))
    replicas = ReplicaForwarder(presence_store, lambda: peers.address("gs"), peers.cluster_metadata)
    connections = ConnectionRegistry(presence.changed)
    stats_store = RedisConnectionStats(redis, Keys(config.redis_prefix), ttl_seconds=config.gs_stats_ttl_seconds)
    stats = StatsRecorder(stats_store, sub_bands=lambda: sub_band_usage(connections, time.time()))
    resolver = GatewayResolver(
        lambda: peers.channel("is"),
        peers.cluster_metadata,
        default_plan=config.gs_default_frequency_plan,
        ttl=config.gs_gateway_cache_seconds,
        allow_unknown=config.gs_allow_unknown_gateways,
    )
    forwarder = UplinkForwarder(
        lambda: peers.channel("ns"),
        peers.cluster_metadata,
        obs,
        queue_size=config.gs_uplink_queue_size,
        retries=config.gs_uplink_retries,
        retry_base=config.gs_uplink_retry_base_ms / 1000,
    )
    downlinks = DownlinkService(connections, obs, sink, stats, remote=replicas)
    udp = UdpFrontend(
        UdpSettings(
            queue_size=config.gs_udp_queue_size,
            workers=config.gs_udp_workers,
            forward_prefixes=config.forward_prefixes(),
            lead_us=config.gs_downlink_lead_ms * 1000,
        ),
        resolver,
        connections,
        forwarder,
        downlinks,
        stats,
        sink,
        obs,
    )
    rights = rights_client(component, bus)
    lns = LnsFrontend(
        LnsSettings(
            forward_prefixes=config.forward_prefixes(),
            lead_us=config.gs_downlink_lead_ms * 1000,
            allow_unauthenticated=config.gs_basicstation_allow_unauthenticated,
        ),
        resolver,
        rights,
        connections,
        forwarder,
        downlinks,
        stats,
        sink,
        obs,
    )
    grpc_frontend = GrpcFrontend(
        lambda: peers.channel("is"),
        rights,
        resolver,
        connections,
        forwarder,
        downlinks,
        stats,
        sink,
        obs,
        forward_prefixes=config.forward_prefixes(),
        lead_us=config.gs_downlink_lead_ms * 1000,
    )
    component.add_service("ttn.lorawan.v3.GtwGs", GtwGsServicer(grpc_frontend))
    server = GatewayServer(component, connections, udp, lns, downlinks, stats, sink)
    component.add_service("ttn.lorawan.v3.NsGs", NsGsServicer(downlinks))
    component.add_service("ttn.lorawan.v3.Gs", GsServicer(rights, stats_store))
    component.add_service("ttn.lorawan.v3.Configuration", ConfigurationServicer())
    component.add_service(
        "ttn.lorawan.v3.GatewayConfigurator",
        GatewayConfiguratorServicer(rights, lambda: peers.channel("is"), peers.cluster_metadata),
    )

    def udp_endpoint() -> tuple[str, int]:
        host = config.gs_udp_address.rpartition(":")[0].strip("[]")
        return ("" if host in ("", "0.0.0.0", "::") else host), server.udp_port

    add_gcs_routes(component.http_app, rights, resolver, udp_endpoint)

    async def start() -> None:
        await forwarder.start()
        server.udp_port = await udp.start(config.gs_udp_address)
        server.lns_port = await lns.start(config.gs_basicstation_address)

    async def stop() -> None:
        await lns.stop()
        await udp.stop()
        await forwarder.stop()
        await stats.flush()
        await sink.drain()
        await presence.drain()
        await replicas.close()

    component.on_start(start)
    component.spawn(stats.run, "gs-stats-flush")
    component.spawn(presence.run, "gs-presence-refresh")
    component.on_stop(stop)
    return server
