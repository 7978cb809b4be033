"""The secret column of OAuth clients, never part of the stored record."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from identityserver import errors

__all__ = ["ClientSecrets"]


class ClientSecrets:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def secret_hash(self, tenant: str, client_id: str) -> str | None:
        """The hash of the client's secret ('' for a public client), None when there is no such client."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT secret_hash FROM clients WHERE tenant_id = %s AND entity_id = %s", (tenant, client_id)
            )
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def set_secret(self, tenant: str, client_id: str, secret_hash: str) -> None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE clients SET secret_hash = %s, updated_at = now() WHERE tenant_id = %s AND entity_id = %s",
                (secret_hash, tenant, client_id),
            )
            if cur.rowcount == 0:
                raise errors.not_found(entity_type="client", entity_id=client_id)
