"""Wiring of the Gateway Server: connections, stores and servicers on a Component."""

from __future__ import annotations

from gatewayserver.config import GatewayServerConfig
from lorastack.component import Component
from lorastack.service import connect_nats, connect_redis

__all__ = ["build"]


async def build(config: GatewayServerConfig) -> Component:
    component = Component("gs", config)
    connect_redis(component, config.redis_url)
    await connect_nats(component)
    return component
