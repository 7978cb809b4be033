"""Wiring of the Join Server: connections, stores and servicers on a Component."""

from __future__ import annotations

import structlog

from joinserver.config import JoinServerConfig
from joinserver.grpc_crypto import ApplicationCryptoServicer, NetworkCryptoServicer
from joinserver.grpc_js import JsServicer
from joinserver.grpc_nsjs import AsJsServicer, NsJsServicer
from joinserver.grpc_registry import JsEndDeviceRegistryServicer
from joinserver.join import JoinHandler
from joinserver.keyvault import KeyVault
from joinserver.observability import JoinMetrics
from joinserver.provision import Provisioning
from joinserver.provisioning import Provisioners, default_provisioners
from joinserver.redisstore import RedisDeviceRegistry
from joinserver.registry import EndDevices
from joinserver.sessions import SessionKeys
from lorastack.component import Component
from lorastack.service import connect_events, connect_nats, connect_redis, rights_client

__all__ = ["build"]

log = structlog.get_logger(__name__)


async def build(config: JoinServerConfig, provisioners: Provisioners | None = None) -> Component:
    component = Component("js", config)
    redis = connect_redis(component, config.redis_url)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    vault = KeyVault(config.js_root_key_kek, dict(config.js_keks))
    if not vault.seals:
        log.warning("no LORASTACK_JS_ROOT_KEY_KEK: root and session keys are stored unencrypted")
    devices = RedisDeviceRegistry(redis, config.redis_prefix, session_ttl=config.js_session_key_ttl_seconds)
    sessions = SessionKeys(devices, vault)
    joins = JoinHandler(
        devices,
        vault,
        prefixes=config.js_join_eui_prefixes,
        dev_nonce_history=config.js_dev_nonce_history,
        metrics=JoinMetrics(component.metrics),
        bus=bus,
    )
    component.add_service("ttn.lorawan.v3.Js", JsServicer(config.js_join_eui_prefixes))
    component.add_service("ttn.lorawan.v3.NsJs", NsJsServicer(joins, sessions))
    component.add_service("ttn.lorawan.v3.AsJs", AsJsServicer(sessions))
    component.add_service("ttn.lorawan.v3.NetworkCryptoService", NetworkCryptoServicer(devices, vault))
    component.add_service("ttn.lorawan.v3.ApplicationCryptoService", ApplicationCryptoServicer(devices, vault))
    rights = rights_client(component, bus)
    provisioning = Provisioning(devices, provisioners or default_provisioners(), bus)
    registry = JsEndDeviceRegistryServicer(EndDevices(devices, vault, bus), provisioning, rights)
    component.add_service("ttn.lorawan.v3.JsEndDeviceRegistry", registry)
    return component
