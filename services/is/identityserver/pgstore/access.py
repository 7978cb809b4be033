"""API keys, collaborators and the rights queries behind them, always within one tenant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import Page, order_clause, page_clause

__all__ = ["AccessStore", "ApiKeyRow", "CollaboratorRow", "OrgPath"]


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    tenant_id: str
    key_id: str
    entity_kind: str
    entity_id: str
    name: str
    secret_hash: bytes
    rights: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class CollaboratorRow:
    member_kind: str
    member_id: str
    rights: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OrgPath:
    """A user's rights on an entity through one organization: the organization's and the membership's."""

    organization_id: str
    organization_rights: tuple[int, ...]
    member_rights: tuple[int, ...]


_KEY_COLUMNS = (
    "tenant_id, key_id, entity_kind, entity_id, name, secret_hash, rights, created_at, updated_at, expires_at"
)


def _key(row: Sequence[Any]) -> ApiKeyRow:
    return ApiKeyRow(row[0], row[1], row[2], row[3], row[4], bytes(row[5]), tuple(row[6]), row[7], row[8], row[9])


class AccessStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    # API keys -------------------------------------------------------------

    async def create_key(
        self,
        tenant: str,
        entity: tuple[str, str],
        key_id: str,
        name: str,
        secret_hash: bytes,
        rights: Sequence[int],
        expires_at: datetime | None,
    ) -> ApiKeyRow:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO api_keys (tenant_id, key_id, entity_kind, entity_id, name, secret_hash, rights,"
                f" expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_KEY_COLUMNS}",
                (tenant, key_id, entity[0], entity[1], name, secret_hash, list(rights), expires_at),
            )
            row = await cur.fetchone()
        assert row is not None
        return _key(row)

    async def key(self, tenant: str, key_id: str) -> ApiKeyRow | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant_id = %s AND key_id = %s", (tenant, key_id)
            )
            row = await cur.fetchone()
        return None if row is None else _key(row)

    async def keys(self, tenant: str, entity: tuple[str, str], page: Page) -> tuple[list[ApiKeyRow], int]:
        order = order_clause(page.order, {"api_key_id": "key_id", "name": "name", "created_at": "created_at"}, "key_id")
        limit, limit_args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_KEY_COLUMNS}, count(*) OVER () FROM api_keys"
                f" WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s {order} {limit}",
                (tenant, entity[0], entity[1], *limit_args),
            )
            rows = await cur.fetchall()
        return [_key(r) for r in rows], int(rows[0][10]) if rows else 0

    async def update_key(
        self,
        tenant: str,
        entity: tuple[str, str],
        key_id: str,
        change: Callable[[ApiKeyRow], tuple[str, Sequence[int], datetime | None]],
    ) -> ApiKeyRow | None:
        """Apply ``change`` (name, rights, expiry) to a locked key; empty rights delete it (None returned)."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant_id = %s AND key_id = %s"
                " AND entity_kind = %s AND entity_id = %s FOR UPDATE",
                (tenant, key_id, entity[0], entity[1]),
            )
            row = await cur.fetchone()
            if row is None:
                raise errors.not_found(entity_type="api_key", entity_id=key_id)
            name, rights, expires_at = change(_key(row))
            if not rights:
                await conn.execute("DELETE FROM api_keys WHERE tenant_id = %s AND key_id = %s", (tenant, key_id))
                return None
            cur = await conn.execute(
                "UPDATE api_keys SET name = %s, rights = %s, expires_at = %s, updated_at = now()"
                f" WHERE tenant_id = %s AND key_id = %s RETURNING {_KEY_COLUMNS}",
                (name, list(rights), expires_at, tenant, key_id),
            )
            updated = await cur.fetchone()
        assert updated is not None
        return _key(updated)

    # Collaborators ----------------------------------------------------------

    async def collaborator(self, tenant: str, entity: tuple[str, str], member: tuple[str, str]) -> tuple[int, ...]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT rights FROM collaborators WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s"
                " AND member_kind = %s AND member_id = %s",
                (tenant, *entity, *member),
            )
            row = await cur.fetchone()
        return () if row is None else tuple(row[0])

    async def collaborators(
        self, tenant: str, entity: tuple[str, str], page: Page
    ) -> tuple[list[CollaboratorRow], int]:
        order = order_clause(page.order, {"id": "member_id", "created_at": "created_at"}, "member_kind, member_id")
        limit, limit_args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT member_kind, member_id, rights, count(*) OVER () FROM collaborators"
                f" WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s {order} {limit}",
                (tenant, *entity, *limit_args),
            )
            rows = await cur.fetchall()
        return [CollaboratorRow(r[0], r[1], tuple(r[2])) for r in rows], int(rows[0][3]) if rows else 0

    async def set_collaborator(
        self,
        tenant: str,
        entity: tuple[str, str],
        member: tuple[str, str],
        rights: Sequence[int],
        still_valid: Callable[[list[CollaboratorRow]], bool],
    ) -> None:
        """Set (or with no rights remove) a collaborator; ``still_valid`` vets the resulting set under lock."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT 1 FROM accounts WHERE tenant_id = %s AND account_id = %s AND kind = %s FOR SHARE",
                (tenant, member[1], member[0]),
            )
            if await cur.fetchone() is None:
                raise errors.collaborator_not_found(collaborator=f"{member[0]}:{member[1]}")
            cur = await conn.execute(
                "SELECT member_kind, member_id, rights FROM collaborators"
                " WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s FOR UPDATE",
                (tenant, *entity),
            )
            current = [CollaboratorRow(r[0], r[1], tuple(r[2])) for r in await cur.fetchall()]
            after = [c for c in current if (c.member_kind, c.member_id) != member]
            if rights:
                after.append(CollaboratorRow(member[0], member[1], tuple(rights)))
            if not still_valid(after):
                raise errors.last_admin_collaborator(entity_type=entity[0], entity_id=entity[1])
            if rights:
                await conn.execute(
                    "INSERT INTO collaborators (tenant_id, entity_kind, entity_id, member_kind, member_id, rights)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, entity_kind, entity_id, member_kind,"
                    " member_id) DO UPDATE SET rights = EXCLUDED.rights, updated_at = now()",
                    (tenant, *entity, *member, list(rights)),
                )
            else:
                await conn.execute(
                    "DELETE FROM collaborators WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s"
                    " AND member_kind = %s AND member_id = %s",
                    (tenant, *entity, *member),
                )

    # Rights queries -----------------------------------------------------------

    async def user_paths(
        self, tenant: str, user_id: str, entity: tuple[str, str]
    ) -> tuple[tuple[int, ...], list[OrgPath]]:
        """A user's direct rights on an entity, and each organization path to it."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT rights FROM collaborators WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s"
                " AND member_kind = 'user' AND member_id = %s",
                (tenant, *entity, user_id),
            )
            direct = await cur.fetchone()
            cur = await conn.execute(
                "SELECT c.member_id, c.rights, m.rights FROM collaborators c JOIN collaborators m"
                " ON m.tenant_id = c.tenant_id AND m.entity_kind = 'organization' AND m.entity_id = c.member_id"
                " AND m.member_kind = 'user' AND m.member_id = %s"
                " WHERE c.tenant_id = %s AND c.entity_kind = %s AND c.entity_id = %s"
                " AND c.member_kind = 'organization'",
                (user_id, tenant, *entity),
            )
            paths = [OrgPath(r[0], tuple(r[1]), tuple(r[2])) for r in await cur.fetchall()]
        return (tuple(direct[0]) if direct else ()), paths

    async def entities_of(self, tenant: str, kind: str, member: tuple[str, str]) -> list[str]:
        """Ids of the ``kind`` entities a member collaborates on (a user also through organizations)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT entity_id FROM collaborators WHERE tenant_id = %s AND entity_kind = %s"
                " AND member_kind = %s AND member_id = %s"
                " UNION SELECT c.entity_id FROM collaborators c JOIN collaborators m"
                " ON m.tenant_id = c.tenant_id AND m.entity_kind = 'organization' AND m.entity_id = c.member_id"
                " WHERE c.tenant_id = %s AND c.entity_kind = %s AND c.member_kind = 'organization'"
                " AND m.member_kind = %s AND m.member_id = %s",
                (tenant, kind, *member, tenant, kind, *member),
            )
            return [r[0] for r in await cur.fetchall()]

    async def tenant_exists(self, tenant: str) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT 1 FROM tenants WHERE tenant_id = %s", (tenant,))
            return await cur.fetchone() is not None
