"""Wiring of the Network Server: connections, stores and servicers on a Component."""

from __future__ import annotations

from lorastack.component import Component
from lorastack.service import connect_nats, connect_redis
from networkserver.config import NetworkServerConfig

__all__ = ["build"]


async def build(config: NetworkServerConfig) -> Component:
    component = Component("ns", config)
    connect_redis(component, config.redis_url)
    await connect_nats(component)
    return component
