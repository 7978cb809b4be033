"""Wiring of the Network Server: connections, stores and servicers on a Component."""

from __future__ import annotations

from lorastack.component import Component
from lorastack.rights import RightsClient
from lorastack.service import connect_events, connect_nats, connect_redis
from lorastack.storage.redis import Keys
from networkserver.config import NetworkServerConfig
from networkserver.grpc_end_device_registry import NsEndDeviceRegistryServicer
from networkserver.grpc_ns import NsServicer
from networkserver.observability import NsMetrics, Publisher
from networkserver.redisstore import RedisDeviceRegistry
from networkserver.registry import DeviceManager

__all__ = ["build"]


async def build(config: NetworkServerConfig) -> Component:
    component = Component("ns", config)
    redis = connect_redis(component, config.redis_url)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    keys = Keys(config.redis_prefix)
    publisher = Publisher(bus)
    NsMetrics.create(component.metrics)
    devices = RedisDeviceRegistry(redis, keys, stream_max_length=config.ns_application_stream_max_length)
    rights = RightsClient(
        lambda: component.peers.channel("is"), cluster_keys=config.cluster_keys, ttl=config.ns_rights_ttl_seconds
    )
    component.add_service(
        "ttn.lorawan.v3.NsEndDeviceRegistry", NsEndDeviceRegistryServicer(DeviceManager(devices, publisher), rights)
    )
    component.add_service("ttn.lorawan.v3.Ns", NsServicer(config.dev_addr_prefixes))
    return component
