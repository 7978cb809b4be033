"""One registry table (users, organizations, applications, gateways): rows of serialized protobuf.

Every statement filters on ``tenant_id``; timestamps live in columns and are
copied into the message on read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import psycopg
from google.protobuf.message import Message
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import Page, order_clause, page_clause, timestamp

__all__ = ["EntityStore", "Page"]

M = TypeVar("M", bound=Message)
Columns = Callable[[Any], Mapping[str, Any]]


def _no_columns(_msg: Any) -> Mapping[str, Any]:
    return {}


class EntityStore(Generic[M]):
    """CRUD on one entity table; ``kind`` is the entity kind (``application``...)."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        kind: str,
        table: str,
        message: type[M],
        columns: Columns = _no_columns,
        account: bool = False,
        unique_messages: Mapping[str, Callable[[M], Exception]] | None = None,
    ) -> None:
        self.pool = pool
        self.kind = kind
        self._table = sql.Identifier(table)
        self._message = message
        self._columns = columns
        self._account = account
        self._unique = dict(unique_messages or {})
        self._order = {
            f"{kind}_id": "entity_id",
            "name": "name",
            "created_at": "created_at",
            "updated_at": "updated_at",
        }

    def _decode(self, data: bytes, created: Any, updated: Any) -> M:
        msg = self._message.FromString(data)
        msg.created_at.CopyFrom(timestamp(created))  # type: ignore[attr-defined]
        msg.updated_at.CopyFrom(timestamp(updated))  # type: ignore[attr-defined]
        return msg

    @staticmethod
    def _encode(msg: M) -> bytes:
        stored = type(msg)()
        stored.CopyFrom(msg)
        stored.ClearField("created_at")
        stored.ClearField("updated_at")
        return stored.SerializeToString()

    def _conflict(self, err: psycopg.errors.UniqueViolation, msg: M, entity_id: str) -> Exception:
        constraint = err.diag.constraint_name or ""
        if constraint in self._unique:
            return self._unique[constraint](msg)
        return errors.already_exists(entity_type=self.kind, entity_id=entity_id)

    async def create(
        self,
        tenant: str,
        entity_id: str,
        msg: M,
        *,
        collaborator: tuple[str, str] | None = None,
        rights: Sequence[int] = (),
        secrets: Mapping[str, Any] | None = None,
    ) -> M:
        """Insert the entity and, in the same transaction, its first collaborator."""
        extra = {**self._columns(msg), **(secrets or {})}
        names = ["tenant_id", "entity_id", "data", *extra]
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING created_at, updated_at").format(
            self._table,
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(sql.Placeholder() * len(names)),
        )
        try:
            async with self.pool.connection() as conn, conn.transaction():
                if collaborator is not None:
                    await self._check_account(conn, tenant, collaborator)
                if self._account:
                    await conn.execute(
                        "INSERT INTO accounts (tenant_id, account_id, kind) VALUES (%s, %s, %s)",
                        (tenant, entity_id, self.kind),
                    )
                cur = await conn.execute(query, (tenant, entity_id, self._encode(msg), *extra.values()))
                row = await cur.fetchone()
                if collaborator is not None:
                    await conn.execute(
                        "INSERT INTO collaborators (tenant_id, entity_kind, entity_id, member_kind, member_id, rights)"
                        " VALUES (%s, %s, %s, %s, %s, %s)",
                        (tenant, self.kind, entity_id, collaborator[0], collaborator[1], list(rights)),
                    )
        except psycopg.errors.UniqueViolation as err:
            raise self._conflict(err, msg, entity_id) from None
        except psycopg.errors.ForeignKeyViolation:
            raise errors.unknown_tenant(tenant_id=tenant) from None
        assert row is not None
        out = type(msg)()
        out.CopyFrom(msg)
        out.created_at.CopyFrom(timestamp(row[0]))  # type: ignore[attr-defined]
        out.updated_at.CopyFrom(timestamp(row[1]))  # type: ignore[attr-defined]
        return out

    @staticmethod
    async def _check_account(conn: psycopg.AsyncConnection[Any], tenant: str, account: tuple[str, str]) -> None:
        cur = await conn.execute(
            "SELECT 1 FROM accounts WHERE tenant_id = %s AND account_id = %s AND kind = %s FOR SHARE",
            (tenant, account[1], account[0]),
        )
        if await cur.fetchone() is None:
            raise errors.collaborator_not_found(collaborator=f"{account[0]}:{account[1]}")

    async def get(self, tenant: str, entity_id: str) -> M | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT data, created_at, updated_at FROM {} WHERE tenant_id = %s AND entity_id = %s").format(
                    self._table
                ),
                (tenant, entity_id),
            )
            row = await cur.fetchone()
        return None if row is None else self._decode(row[0], row[1], row[2])

    async def update(self, tenant: str, entity_id: str, mutate: Callable[[M], None]) -> M:
        """Read the row locked, let ``mutate`` change it (or raise), write it back."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                sql.SQL(
                    "SELECT data, created_at, updated_at FROM {} WHERE tenant_id = %s AND entity_id = %s FOR UPDATE"
                ).format(self._table),
                (tenant, entity_id),
            )
            row = await cur.fetchone()
            if row is None:
                raise errors.not_found(entity_type=self.kind, entity_id=entity_id)
            msg = self._decode(row[0], row[1], row[2])
            mutate(msg)
            extra = dict(self._columns(msg))
            assignments: list[sql.Composable] = [sql.SQL("data = %s"), sql.SQL("updated_at = now()")]
            assignments += [sql.SQL("{} = %s").format(sql.Identifier(name)) for name in extra]
            query = sql.SQL("UPDATE {} SET {} WHERE tenant_id = %s AND entity_id = %s RETURNING updated_at").format(
                self._table, sql.SQL(", ").join(assignments)
            )
            try:
                cur = await conn.execute(query, (self._encode(msg), *extra.values(), tenant, entity_id))
            except psycopg.errors.UniqueViolation as err:
                raise self._conflict(err, msg, entity_id) from None
            updated = await cur.fetchone()
        assert updated is not None
        msg.updated_at.CopyFrom(timestamp(updated[0]))  # type: ignore[attr-defined]
        return msg

    async def delete(self, tenant: str, entity_id: str) -> bool:
        """Delete the entity with its collaborators, memberships and API keys."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                sql.SQL("DELETE FROM {} WHERE tenant_id = %s AND entity_id = %s").format(self._table),
                (tenant, entity_id),
            )
            if cur.rowcount == 0:
                return False
            await conn.execute(
                "DELETE FROM collaborators WHERE tenant_id = %s AND ((entity_kind = %s AND entity_id = %s)"
                " OR (member_kind = %s AND member_id = %s))",
                (tenant, self.kind, entity_id, self.kind, entity_id),
            )
            await conn.execute(
                "DELETE FROM api_keys WHERE tenant_id = %s AND entity_kind = %s AND entity_id = %s",
                (tenant, self.kind, entity_id),
            )
            if self._account:
                await conn.execute("DELETE FROM accounts WHERE tenant_id = %s AND account_id = %s", (tenant, entity_id))
        return True

    async def list(self, tenant: str, ids: Sequence[str] | None, page: Page) -> tuple[list[M], int]:
        """One page of entities (all of the tenant, or those in ``ids``) and the total count."""
        order = order_clause(page.order, self._order, "entity_id")
        limit, limit_args = page_clause(page)
        where = "tenant_id = %s" + ("" if ids is None else " AND entity_id = ANY(%s)")
        args: tuple[Any, ...] = (tenant,) if ids is None else (tenant, list(ids))
        query = sql.SQL(
            "SELECT data, created_at, updated_at, count(*) OVER () FROM {} WHERE " + where + " " + order + " " + limit
        ).format(self._table)
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, (*args, *limit_args))
            rows = await cur.fetchall()
            if rows:
                return [self._decode(r[0], r[1], r[2]) for r in rows], int(rows[0][3])
            cur = await conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE " + where).format(self._table),
                args,
            )
            total = await cur.fetchone()
        return [], int(total[0]) if total else 0

    async def candidates(
        self, tenant: str, ids: Sequence[str] | None, id_contains: str, name_contains: str, order: str
    ) -> Sequence[M]:
        """Every entity (all of the tenant, or those in ``ids``) whose id and name contain the given
        texts, case-insensitively, in ``order``; the caller filters further and pages.
        """
        clause = order_clause(order, self._order, "entity_id")
        where = "tenant_id = %s AND strpos(lower(entity_id), lower(%s)) > 0 AND strpos(lower(name), lower(%s)) > 0"
        args: tuple[Any, ...] = (tenant, id_contains, name_contains)
        if ids is not None:
            where += " AND entity_id = ANY(%s)"
            args += (list(ids),)
        query = sql.SQL("SELECT data, created_at, updated_at FROM {} WHERE " + where + " " + clause).format(self._table)
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, args)
            rows = await cur.fetchall()
        return [self._decode(r[0], r[1], r[2]) for r in rows]

    async def id_by(self, tenant: str, column: str, value: Any) -> str | None:
        """The id of the entity whose unique ``column`` holds ``value``."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT entity_id FROM {} WHERE tenant_id = %s AND {} = %s").format(
                    self._table, sql.Identifier(column)
                ),
                (tenant, value),
            )
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def count(self, tenant: str) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE tenant_id = %s").format(self._table), (tenant,)
            )
            row = await cur.fetchone()
        return int(row[0]) if row else 0
