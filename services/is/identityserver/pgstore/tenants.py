"""Tenants and their registry totals; the only table read without a tenant filter (it is the filter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import Page, order_clause, page_clause, timestamp
from tti.lorawan.v3 import tenant_pb2

__all__ = ["TenantStore"]

Tenant = tenant_pb2.Tenant
_ORDER = {"tenant_id": "tenant_id", "name": "name", "created_at": "created_at"}
_COUNTED = ("applications", "end_devices", "gateways", "organizations", "users")


def _decode(row: Any) -> Tenant:
    tenant = Tenant.FromString(row[1]) if row[1] else Tenant()
    tenant.ids.tenant_id = row[0]
    tenant.created_at.CopyFrom(timestamp(row[2]))
    tenant.updated_at.CopyFrom(timestamp(row[3]))
    return tenant


def _encode(tenant: Tenant) -> bytes:
    stored = Tenant()
    stored.CopyFrom(tenant)
    stored.ClearField("created_at")
    stored.ClearField("updated_at")
    return stored.SerializeToString()


class TenantStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def create(self, tenant: Tenant) -> Tenant:
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    "INSERT INTO tenants (tenant_id, name, description, data) VALUES (%s, %s, %s, %s)"
                    " RETURNING tenant_id, data, created_at, updated_at",
                    (tenant.ids.tenant_id, tenant.name, tenant.description, _encode(tenant)),
                )
                row = await cur.fetchone()
        except psycopg.errors.UniqueViolation:
            raise errors.already_exists(entity_type="tenant", entity_id=tenant.ids.tenant_id) from None
        return _decode(row)

    async def get(self, tenant_id: str) -> Tenant | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT tenant_id, data, created_at, updated_at FROM tenants WHERE tenant_id = %s", (tenant_id,)
            )
            row = await cur.fetchone()
        return None if row is None else _decode(row)

    async def update(self, tenant_id: str, mutate: Callable[[Tenant], None]) -> Tenant:
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT tenant_id, data, created_at, updated_at FROM tenants WHERE tenant_id = %s FOR UPDATE",
                (tenant_id,),
            )
            row = await cur.fetchone()
            if row is None:
                raise errors.not_found(entity_type="tenant", entity_id=tenant_id)
            tenant = _decode(row)
            mutate(tenant)
            cur = await conn.execute(
                "UPDATE tenants SET data = %s, name = %s, description = %s, updated_at = now()"
                " WHERE tenant_id = %s RETURNING tenant_id, data, created_at, updated_at",
                (_encode(tenant), tenant.name, tenant.description, tenant_id),
            )
            updated = await cur.fetchone()
        return _decode(updated)

    async def delete(self, tenant_id: str) -> bool:
        """Delete the tenant and, through the foreign keys, everything in it."""
        async with self.pool.connection() as conn:
            cur = await conn.execute("DELETE FROM tenants WHERE tenant_id = %s", (tenant_id,))
            return cur.rowcount > 0

    async def list(self, page: Page) -> tuple[list[Tenant], int]:
        order = order_clause(page.order, _ORDER, "tenant_id")
        limit, limit_args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT tenant_id, data, created_at, updated_at, count(*) OVER () FROM tenants {order} {limit}",
                limit_args,
            )
            rows = await cur.fetchall()
        return [_decode(r) for r in rows], int(rows[0][4]) if rows else 0

    async def totals(self, tenant_id: str) -> dict[str, int]:
        counts = ", ".join(f"(SELECT count(*) FROM {table} WHERE tenant_id = %(t)s)" for table in _COUNTED)
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT {counts}", {"t": tenant_id})
            row = await cur.fetchone()
        assert row is not None
        return dict(zip(_COUNTED, (int(v) for v in row), strict=True))
