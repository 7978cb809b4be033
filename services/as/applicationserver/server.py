"""Wiring of the Application Server: connections, stores and servicers on a Component."""

from __future__ import annotations

from applicationserver.config import ApplicationServerConfig
from lorastack.component import Component
from lorastack.service import connect_nats, connect_redis

__all__ = ["build"]


async def build(config: ApplicationServerConfig) -> Component:
    component = Component("as", config)
    connect_redis(component, config.redis_url)
    await connect_nats(component)
    return component
