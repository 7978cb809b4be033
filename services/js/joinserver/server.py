"""Wiring of the Join Server: connections, stores and servicers on a Component."""

from __future__ import annotations

from joinserver.config import JoinServerConfig
from joinserver.grpc_js import JsServicer
from lorastack.component import Component
from lorastack.service import connect_nats, connect_redis

__all__ = ["build"]


async def build(config: JoinServerConfig) -> Component:
    component = Component("js", config)
    connect_redis(component, config.redis_url)
    await connect_nats(component)
    component.add_service("ttn.lorawan.v3.Js", JsServicer(config.js_join_eui_prefixes))
    return component
