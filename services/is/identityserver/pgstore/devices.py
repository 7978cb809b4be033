"""End devices of the IS registry (seed 001's IS fields), keyed by tenant, application and device id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import Page, order_clause, page_clause, timestamp
from ttn.lorawan.v3 import end_device_pb2

__all__ = ["DeviceStore"]

Device = end_device_pb2.EndDevice
_ORDER = {"device_id": "device_id", "name": "name", "created_at": "created_at", "updated_at": "updated_at"}


def _decode(row: Any) -> Device:
    dev = Device.FromString(row[0])
    dev.created_at.CopyFrom(timestamp(row[1]))
    dev.updated_at.CopyFrom(timestamp(row[2]))
    return dev


def _encode(dev: Device) -> bytes:
    stored = Device()
    stored.CopyFrom(dev)
    stored.ClearField("created_at")
    stored.ClearField("updated_at")
    return stored.SerializeToString()


def _euis(dev: Device) -> tuple[bytes | None, bytes | None]:
    return bytes(dev.ids.dev_eui) or None, bytes(dev.ids.join_eui) or None


def _conflict(err: psycopg.errors.UniqueViolation, dev: Device) -> Exception:
    if err.diag.constraint_name == "end_devices_euis":
        return errors.eui_taken(eui=f"{dev.ids.join_eui.hex().upper()}/{dev.ids.dev_eui.hex().upper()}")
    return errors.already_exists(entity_type="end_device", entity_id=dev.ids.device_id)


class DeviceStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def create(self, tenant: str, dev: Device) -> Device:
        app_id = dev.ids.application_ids.application_id
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(
                    "INSERT INTO end_devices (tenant_id, application_id, device_id, dev_eui, join_eui, name, data)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING data, created_at, updated_at",
                    (tenant, app_id, dev.ids.device_id, *_euis(dev), dev.name, _encode(dev)),
                )
                row = await cur.fetchone()
        except psycopg.errors.UniqueViolation as err:
            raise _conflict(err, dev) from None
        except psycopg.errors.ForeignKeyViolation:
            raise errors.not_found(entity_type="application", entity_id=app_id) from None
        assert row is not None
        return _decode(row)

    async def get(self, tenant: str, app_id: str, device_id: str) -> Device | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT data, created_at, updated_at FROM end_devices"
                " WHERE tenant_id = %s AND application_id = %s AND device_id = %s",
                (tenant, app_id, device_id),
            )
            row = await cur.fetchone()
        return None if row is None else _decode(row)

    async def update(self, tenant: str, app_id: str, device_id: str, mutate: Callable[[Device], None]) -> Device:
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT data, created_at, updated_at FROM end_devices"
                " WHERE tenant_id = %s AND application_id = %s AND device_id = %s FOR UPDATE",
                (tenant, app_id, device_id),
            )
            row = await cur.fetchone()
            if row is None:
                raise errors.not_found(entity_type="end_device", entity_id=f"{app_id}.{device_id}")
            dev = _decode(row)
            mutate(dev)
            try:
                cur = await conn.execute(
                    "UPDATE end_devices SET data = %s, name = %s, dev_eui = %s, join_eui = %s, updated_at = now()"
                    " WHERE tenant_id = %s AND application_id = %s AND device_id = %s RETURNING updated_at",
                    (_encode(dev), dev.name, *_euis(dev), tenant, app_id, device_id),
                )
            except psycopg.errors.UniqueViolation as err:
                raise _conflict(err, dev) from None
            updated = await cur.fetchone()
        assert updated is not None
        dev.updated_at.CopyFrom(timestamp(updated[0]))
        return dev

    async def delete(self, tenant: str, app_id: str, device_id: str) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM end_devices WHERE tenant_id = %s AND application_id = %s AND device_id = %s",
                (tenant, app_id, device_id),
            )
            return cur.rowcount > 0

    async def list(self, tenant: str, app_id: str, page: Page) -> tuple[list[Device], int]:
        order = order_clause(page.order, _ORDER, "device_id")
        limit, limit_args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT data, created_at, updated_at, count(*) OVER () FROM end_devices"
                f" WHERE tenant_id = %s AND application_id = %s {order} {limit}",
                (tenant, app_id, *limit_args),
            )
            rows = await cur.fetchall()
        return [_decode(r) for r in rows], int(rows[0][3]) if rows else 0

    async def candidates(
        self, tenant: str, app_id: str, id_contains: str, name_contains: str, order: str
    ) -> Sequence[Device]:
        """The application's devices whose id and name contain the texts (case-insensitive), in order."""
        clause = order_clause(order, _ORDER, "device_id")
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT data, created_at, updated_at FROM end_devices WHERE tenant_id = %s AND application_id = %s"
                " AND strpos(lower(device_id), lower(%s)) > 0 AND strpos(lower(name), lower(%s)) > 0 " + clause,
                (tenant, app_id, id_contains, name_contains),
            )
            rows = await cur.fetchall()
        return [_decode(r) for r in rows]

    async def count(self, tenant: str) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM end_devices WHERE tenant_id = %s", (tenant,))
            row = await cur.fetchone()
        return int(row[0]) if row else 0
