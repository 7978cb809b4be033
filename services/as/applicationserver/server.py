"""Wiring of the Application Server: connections, stores and servicers on a Component."""

from __future__ import annotations

import structlog

from applicationserver.config import ApplicationServerConfig
from applicationserver.distribution import DurableConsumer, LiveFanout
from applicationserver.downlink import DownlinkService
from applicationserver.formatters import JavaScriptEngine, PayloadFormatters
from applicationserver.grpc_appas import AppAsServicer
from applicationserver.grpc_as import AsServicer
from applicationserver.grpc_integrations import PubSubRegistryServicer, WebhookRegistryServicer
from applicationserver.grpc_processors import DownlinkProcessorServicer, UplinkProcessorServicer
from applicationserver.grpc_registry import AsEndDeviceRegistryServicer
from applicationserver.keys import JoinServerKeys, KeyVault
from applicationserver.link import LinkManager
from applicationserver.mqtt import MqttFrontend
from applicationserver.observability import ASMetrics
from applicationserver.pubsub import PubSubDelivery
from applicationserver.pubsub_down import PubSubDownlinks
from applicationserver.redisstore import (
    RedisDeviceStore,
    RedisLinkStore,
    RedisPubSubStore,
    RedisUpStream,
    RedisWebhookStore,
)
from applicationserver.tenancy import Tenancy, TenantRights
from applicationserver.uplink import UplinkProcessor
from applicationserver.webhooks import WebhookDelivery
from lorastack.component import Component
from lorastack.service import connect_events, connect_nats, connect_redis
from lorastack.storage.redis import Keys

__all__ = ["build"]

log = structlog.get_logger(logger_name="applicationserver.server")


async def build(config: ApplicationServerConfig) -> Component:
    component = Component("as", config)
    redis = connect_redis(component, config.redis_url)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    keys = Keys(config.redis_prefix)
    links = RedisLinkStore(redis, keys)
    devices = RedisDeviceStore(redis, keys)
    webhooks = RedisWebhookStore(redis, keys)
    pubsubs = RedisPubSubStore(redis, keys)
    upstream = RedisUpStream(redis, keys, max_length=config.as_uplink_stream_max_length)
    metrics = ASMetrics.create(component.metrics)
    tenancy = Tenancy(config.default_tenant)
    rights = TenantRights(
        lambda: component.peers.channel("is"),
        tenancy,
        cluster_keys=config.cluster_keys,
        ttl=config.rights_cache_seconds,
    )
    component.spawn(lambda: rights.follow_invalidations(bus), "rights-invalidation")
    formatters = PayloadFormatters(
        JavaScriptEngine(
            time_limit=config.as_formatter_time_limit_seconds, memory_limit=config.as_formatter_memory_limit_bytes
        )
    )
    vault = KeyVault(dict(config.as_keks), storage_label=config.as_device_kek_label)
    if not config.as_device_kek_label:
        log.warning("AppSKeys are stored unwrapped: set LORASTACK_AS_DEVICE_KEK_LABEL")
    peers = component.peers
    processor = UplinkProcessor(
        devices=devices,
        formatters=formatters,
        vault=vault,
        join_server=JoinServerKeys(lambda: peers.channel("js"), peers.cluster_metadata, tenancy=tenancy),
        publisher=bus,
        metrics=metrics,
        tenancy=tenancy,
    )
    fanout = LiveFanout(upstream)
    downlinks = DownlinkService(
        devices=devices,
        links=links,
        formatters=formatters,
        vault=vault,
        upstream=upstream,
        network_server=lambda: peers.channel("ns"),
        metadata=peers.cluster_metadata,
        publisher=bus,
        metrics=metrics,
        tenancy=tenancy,
    )
    manager = LinkManager(
        links=links,
        processor=processor,
        upstream=upstream,
        network_server=lambda: peers.channel("ns"),
        network_server_address=lambda: peers.address("ns") or "",
        metadata=peers.cluster_metadata,
        publisher=bus,
        metrics=metrics,
        tenancy=tenancy,
        backoff=(config.as_link_backoff_min_seconds, config.as_link_backoff_max_seconds),
        requeue=downlinks.requeue_invalidated,
        devices=devices,
    )
    component.add_service("ttn.lorawan.v3.As", AsServicer(links=links, manager=manager, rights=rights))
    component.add_service(
        "ttn.lorawan.v3.AsEndDeviceRegistry",
        AsEndDeviceRegistryServicer(
            devices=devices, rights=rights, publisher=bus, vault=vault, membership_changed=manager.reconcile
        ),
    )
    component.add_service("ttn.lorawan.v3.AppAs", AppAsServicer(fanout=fanout, downlinks=downlinks, rights=rights))
    component.add_service(
        "ttn.lorawan.v3.UplinkMessageProcessor", UplinkProcessorServicer(formatters=formatters, rights=rights)
    )
    component.add_service(
        "ttn.lorawan.v3.DownlinkMessageProcessor", DownlinkProcessorServicer(formatters=formatters, rights=rights)
    )
    component.spawn(fanout.run, "as-fanout")
    component.spawn(manager.run, "as-links")
    if config.as_mqtt_address:
        frontend = MqttFrontend(
            address=config.as_mqtt_address,
            rights=rights,
            fanout=fanout,
            downlinks=downlinks,
            metrics=metrics,
            tenancy=tenancy,
        )
        component.on_start(frontend.start)
        component.on_stop(frontend.stop)
    component.add_service(
        "ttn.lorawan.v3.ApplicationWebhookRegistry", WebhookRegistryServicer(store=webhooks, rights=rights)
    )
    subscriptions = PubSubDownlinks(store=pubsubs, downlinks=downlinks, tenancy=tenancy, metrics=metrics)
    component.spawn(subscriptions.run, "as-pubsub-downlinks")
    component.add_service(
        "ttn.lorawan.v3.ApplicationPubSubRegistry",
        PubSubRegistryServicer(store=pubsubs, rights=rights, changed=subscriptions.reconcile),
    )
    delivery = WebhookDelivery(
        store=webhooks,
        publisher=bus,
        metrics=metrics,
        tenancy=tenancy,
        timeout=config.as_webhook_timeout_seconds,
        retries=config.as_webhook_retries,
        backoff=config.as_webhook_backoff_seconds,
        unhealthy_attempts=config.as_webhook_unhealthy_attempts,
        unhealthy_retry=config.as_webhook_unhealthy_retry_seconds,
        public_url=config.as_public_url,
    )
    component.on_start(delivery.start)
    component.on_stop(delivery.stop)
    hooks = DurableConsumer(upstream, group="webhooks", consumer=config.as_instance_id, deliver=delivery.deliver_batch)
    component.spawn(hooks.run, "as-webhooks")
    publisher = PubSubDelivery(store=pubsubs, metrics=metrics)
    component.on_stop(publisher.stop)
    published = DurableConsumer(
        upstream, group="pubsub", consumer=config.as_instance_id, deliver=publisher.deliver_batch
    )
    component.spawn(published.run, "as-pubsub")
    return component
