"""The ``invitations`` table: one open invitation per address and tenant, its token kept hashed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import Page, page_clause

__all__ = ["InvitationRow", "InvitationStore"]


@dataclass(frozen=True, slots=True)
class InvitationRow:
    tenant_id: str
    email: str
    invited_by: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: str


_COLUMNS = "tenant_id, email, invited_by, created_at, updated_at, expires_at, accepted_at, accepted_by"


def _row(r: Sequence[Any]) -> InvitationRow:
    return InvitationRow(*r[:8])


class InvitationStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def create(
        self, tenant: str, email: str, token_hash: bytes, invited_by: str, expires_at: datetime
    ) -> InvitationRow:
        """Insert, or replace an expired unaccepted invitation of the same address."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT 1 FROM users WHERE tenant_id = %s AND lower(primary_email_address) = %s", (tenant, email)
            )
            if await cur.fetchone() is not None:
                raise errors.already_exists(entity_type="user with e-mail address", entity_id=email)
            cur = await conn.execute(
                "INSERT INTO invitations (tenant_id, email, token_hash, invited_by, expires_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, email) DO UPDATE SET"
                " token_hash = EXCLUDED.token_hash, invited_by = EXCLUDED.invited_by, created_at = now(),"
                " updated_at = now(), expires_at = EXCLUDED.expires_at"
                " WHERE invitations.expires_at <= now() AND invitations.accepted_at IS NULL"
                f" RETURNING {_COLUMNS}",
                (tenant, email, token_hash, invited_by, expires_at),
            )
            row = await cur.fetchone()
        if row is None:
            raise errors.already_exists(entity_type="invitation", entity_id=email)
        return _row(row)

    async def list(self, tenant: str, invited_by: str | None, page: Page) -> tuple[list[InvitationRow], int]:
        limit, limit_args = page_clause(page)
        where = "tenant_id = %s" + ("" if invited_by is None else " AND invited_by = %s")
        args = (tenant,) if invited_by is None else (tenant, invited_by)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS}, count(*) OVER () FROM invitations WHERE {where}"
                f" ORDER BY created_at, email {limit}",
                (*args, *limit_args),
            )
            rows = await cur.fetchall()
        return [_row(r) for r in rows], int(rows[0][8]) if rows else 0

    async def delete(self, tenant: str, email: str, invited_by: str | None) -> bool:
        where = "tenant_id = %s AND email = %s" + ("" if invited_by is None else " AND invited_by = %s")
        args = (tenant, email) if invited_by is None else (tenant, email, invited_by)
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"DELETE FROM invitations WHERE {where}", args)
            return cur.rowcount > 0

    async def accept(self, tenant: str, token_hash: bytes, check: Callable[[InvitationRow], None]) -> InvitationRow:
        """Lock the invitation of a token, let ``check`` refuse it, and mark it accepted."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM invitations WHERE tenant_id = %s AND token_hash = %s FOR UPDATE",
                (tenant, token_hash),
            )
            found = await cur.fetchone()
            if found is None:
                raise errors.invalid_invitation_token()
            check(_row(found))
            cur = await conn.execute(
                "UPDATE invitations SET accepted_at = now(), updated_at = now()"
                f" WHERE tenant_id = %s AND token_hash = %s RETURNING {_COLUMNS}",
                (tenant, token_hash),
            )
            row = await cur.fetchone()
        assert row is not None
        return _row(row)

    async def settle(self, tenant: str, email: str, accepted_by: str | None) -> None:
        """Record who accepted, or (None) give the invitation back when the account was not created."""
        async with self.pool.connection() as conn:
            if accepted_by is None:
                await conn.execute(
                    "UPDATE invitations SET accepted_at = NULL, updated_at = now() WHERE tenant_id = %s AND email = %s",
                    (tenant, email),
                )
            else:
                await conn.execute(
                    "UPDATE invitations SET accepted_by = %s, updated_at = now() WHERE tenant_id = %s AND email = %s",
                    (accepted_by, tenant, email),
                )
