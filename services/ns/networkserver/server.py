"""Wiring of the Network Server: connections, stores and servicers on a Component."""

from __future__ import annotations

import socket
import uuid

from lorastack.component import Component
from lorastack.service import connect_events, connect_nats, connect_redis, rights_client
from lorastack.storage.redis import Keys
from networkserver.config import NetworkServerConfig
from networkserver.downlink.flows import Downlinks
from networkserver.downlink.gateways import GatewayScheduler
from networkserver.downlink.queue import DownlinkQueue
from networkserver.downlink.tasks import DownlinkWorker
from networkserver.grpc_asns import AsNsServicer
from networkserver.grpc_end_device_registry import NsEndDeviceRegistryServicer
from networkserver.grpc_gsns import GsNsServicer
from networkserver.grpc_ns import NsServicer
from networkserver.observability import NsMetrics, Publisher
from networkserver.redisstore import (
    RedisApplicationUpQueue,
    RedisDeviceRegistry,
    RedisDownlinkTaskQueue,
    RedisUplinkDeduplicator,
)
from networkserver.registry import DeviceManager
from networkserver.uplink.data import DataUplinkHandler
from networkserver.uplink.ingress import UplinkIngress
from networkserver.uplink.join import JoinHandler
from networkserver.uplink.rejoin import RejoinHandler

__all__ = ["build", "replica_id"]


def replica_id(config: NetworkServerConfig) -> str:
    """The configured name, or one that a restart on the same host and port keeps (a Kubernetes pod whose
    container restarts keeps its host name); with port 0 there is no such name, so a random one."""
    if config.ns_replica_id:
        return config.ns_replica_id
    port = config.grpc_address.rpartition(":")[2]
    return f"{socket.gethostname()}:{port if port != '0' else uuid.uuid4().hex}"


async def build(config: NetworkServerConfig) -> Component:
    component = Component("ns", config)
    redis = connect_redis(component, config.redis_url)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    keys = Keys(config.redis_prefix)
    metrics = NsMetrics.create(component.metrics)
    peers = component.peers
    devices = RedisDeviceRegistry(redis, keys, stream_max_length=config.ns_application_stream_max_length)
    rights = rights_client(component, bus)
    gateways = GatewayScheduler(
        lambda: peers.channel("gs"), peers.cluster_metadata, metrics, timeout=config.ns_schedule_timeout_ms / 1000
    )
    tasks = RedisDownlinkTaskQueue(redis, keys)
    downlinks = Downlinks(
        devices,
        gateways,
        tasks,
        bus,
        status_count=config.ns_status_count_periodicity,
        class_c_attempts=config.ns_class_c_attempts,
        retry_ms=config.ns_class_c_retry_ms,
    )
    worker = DownlinkWorker(
        tasks,
        downlinks,
        poll_ms=config.ns_downlink_poll_ms,
        concurrency=config.ns_downlink_concurrency,
        lease_ms=config.ns_downlink_lease_ms,
    )
    joins = JoinHandler(
        devices,
        lambda: peers.channel("js"),
        peers.cluster_metadata,
        bus,
        metrics,
        net_id=config.net_id,
        prefixes=config.dev_addr_prefixes,
        downlinks=worker,
    )
    ingress = UplinkIngress(
        RedisUplinkDeduplicator(redis, keys, owner=replica_id(config), lease_ms=config.ns_uplink_lease_ms),
        DataUplinkHandler(devices, bus, metrics, worker),
        joins,
        bus,
        metrics,
        window_ms=config.ns_dedup_window_ms,
        gather_ms=config.ns_uplink_gather_ms,
        cooldown_ms=config.ns_cooldown_window_ms,
        concurrency=config.ns_uplink_concurrency,
        rejoins=RejoinHandler(devices, joins, bus, metrics, net_id=config.net_id, prefixes=config.dev_addr_prefixes),
    )
    ups = RedisApplicationUpQueue(redis, keys, max_length=config.ns_application_stream_max_length)
    component.add_service(
        "ttn.lorawan.v3.NsEndDeviceRegistry",
        NsEndDeviceRegistryServicer(
            DeviceManager(devices, Publisher(bus)), rights, default_tenant=config.default_tenant
        ),
    )
    component.add_service("ttn.lorawan.v3.Ns", NsServicer(config.dev_addr_prefixes))
    component.add_service("ttn.lorawan.v3.GsNs", GsNsServicer(ingress))
    asns = AsNsServicer(
        ups, DownlinkQueue(devices, worker), rights, metrics=metrics, default_tenant=config.default_tenant
    )
    component.add_service("ttn.lorawan.v3.AsNs", asns)
    if config.ns_downlink_concurrency:
        component.spawn(worker.run, "ns-downlink-tasks")
    component.on_start(ingress.resume)
    component.spawn(ingress.recover, "ns-uplink-recovery")
    # Registered after the Redis client so that, stopping in reverse, uplinks finish before Redis closes.
    component.on_stop(ingress.close)
    return component
