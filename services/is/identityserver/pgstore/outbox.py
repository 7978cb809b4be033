"""The ``email_outbox`` table: messages queued by request handlers, claimed and marked by the sender task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

__all__ = ["OutboxRow", "OutboxStore"]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    message_id: int
    tenant_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
    attempts: int
    last_error: str
    sent_at: datetime | None


_COLUMNS = "message_id, tenant_id, kind, recipient, subject, body, created_at, attempts, last_error, sent_at"


class OutboxStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def add(self, tenant: str, kind: str, recipient: str, subject: str, body: str) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO email_outbox (tenant_id, kind, recipient, subject, body)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING message_id",
                (tenant, kind, recipient, subject, body),
            )
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def claim(self, limit: int, lease_seconds: float, max_attempts: int) -> list[OutboxRow]:
        """Lease up to ``limit`` due messages; SKIP LOCKED lets several replicas drain one table."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE email_outbox SET attempts = attempts + 1,"
                " next_attempt_at = now() + make_interval(secs => %s)"
                " WHERE message_id IN (SELECT message_id FROM email_outbox"
                " WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < %s"
                " ORDER BY message_id LIMIT %s FOR UPDATE SKIP LOCKED)"
                f" RETURNING {_COLUMNS}",
                (lease_seconds, max_attempts, limit),
            )
            rows = await cur.fetchall()
        return sorted((OutboxRow(*r) for r in rows), key=lambda r: r.message_id)

    async def mark_sent(self, message_id: int) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE email_outbox SET sent_at = now(), last_error = '' WHERE message_id = %s", (message_id,)
            )

    async def mark_failed(self, message_id: int, error: str) -> None:
        # The lease taken by claim() already delays the next attempt.
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE email_outbox SET last_error = %s WHERE message_id = %s", (error[:500], message_id)
            )

    async def messages(self, tenant: str, recipient: str | None = None) -> list[OutboxRow]:
        """Messages of a tenant (optionally to one address), oldest first."""
        where = "tenant_id = %s" + ("" if recipient is None else " AND lower(recipient) = lower(%s)")
        args = (tenant,) if recipient is None else (tenant, recipient)
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT {_COLUMNS} FROM email_outbox WHERE {where} ORDER BY message_id", args)
            rows = await cur.fetchall()
        return [OutboxRow(*r) for r in rows]
