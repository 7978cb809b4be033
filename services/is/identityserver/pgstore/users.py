"""The secret columns of users: password hashes and the admin flag, never part of the record."""

from __future__ import annotations

from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from identityserver import errors

__all__ = ["UserSecrets"]


class UserSecrets:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def is_admin(self, tenant: str, user_id: str) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT admin FROM users WHERE tenant_id = %s AND entity_id = %s", (tenant, user_id)
            )
            row = await cur.fetchone()
        return bool(row and row[0])

    async def hashes(self, tenant: str, user_id: str) -> tuple[str, str, datetime | None]:
        """(password hash, temporary password hash, temporary password expiry)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT password_hash, temporary_password_hash, temporary_password_expires_at FROM users"
                " WHERE tenant_id = %s AND entity_id = %s",
                (tenant, user_id),
            )
            row = await cur.fetchone()
        if row is None:
            raise errors.not_found(entity_type="user", entity_id=user_id)
        return row[0], row[1], row[2]

    async def set_password(self, tenant: str, user_id: str, password_hash: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE users SET password_hash = %s, temporary_password_hash = '',"
                " temporary_password_expires_at = NULL, updated_at = now() WHERE tenant_id = %s AND entity_id = %s",
                (password_hash, tenant, user_id),
            )

    async def set_temporary_password(self, tenant: str, user_id: str, password_hash: str, expires: datetime) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE users SET temporary_password_hash = %s, temporary_password_expires_at = %s"
                " WHERE tenant_id = %s AND entity_id = %s",
                (password_hash, expires, tenant, user_id),
            )
