"""Wiring of the Identity Server: the PostgreSQL pool and servicers on a Component."""

from __future__ import annotations

from identityserver.config import IdentityServerConfig
from lorastack.component import Component
from lorastack.service import connect_nats
from lorastack.storage import postgres

__all__ = ["build"]


async def build(config: IdentityServerConfig) -> Component:
    component = Component("is", config)
    pool = postgres.open_pool(config.database_url, max_size=config.database_pool_size)
    await pool.open(wait=False)

    async def database_ready() -> None:
        async with pool.connection(timeout=1.5) as conn:
            await conn.execute("SELECT 1")

    component.health.add("postgresql", database_ready)
    component.on_stop(pool.close)
    await connect_nats(component)
    return component
