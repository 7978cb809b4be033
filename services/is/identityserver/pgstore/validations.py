"""Contact info validations: hashed tokens, and the redemption that marks the user's address validated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from identityserver import errors
from identityserver.pgstore.common import timestamp
from ttn.lorawan.v3 import user_pb2

__all__ = ["ValidationRow", "ValidationStore"]


@dataclass(frozen=True, slots=True)
class ValidationRow:
    tenant_id: str
    validation_id: str
    token_hash: bytes
    user_id: str
    email: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    used_at: datetime | None


_COLUMNS = "tenant_id, validation_id, token_hash, user_id, email, created_at, updated_at, expires_at, used_at"


def _row(r: Sequence[Any]) -> ValidationRow:
    return ValidationRow(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6], r[7], r[8])


class ValidationStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def create(
        self, tenant: str, validation_id: str, token_hash: bytes, user_id: str, email: str, expires_at: datetime
    ) -> ValidationRow:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO contact_info_validations (tenant_id, validation_id, token_hash, user_id, email,"
                f" expires_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                (tenant, validation_id, token_hash, user_id, email, expires_at),
            )
            row = await cur.fetchone()
        assert row is not None
        return _row(row)

    async def pending(self, tenant: str, user_id: str, email: str) -> ValidationRow | None:
        """An unused, unexpired validation of this address, if one was sent already."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM contact_info_validations WHERE tenant_id = %s AND user_id = %s"
                " AND lower(email) = lower(%s) AND used_at IS NULL AND expires_at > now()"
                " ORDER BY created_at DESC LIMIT 1",
                (tenant, user_id, email),
            )
            row = await cur.fetchone()
        return None if row is None else _row(row)

    async def redeem(self, tenant: str, validation_id: str, check: Callable[[ValidationRow], None]) -> ValidationRow:
        """In one transaction: lock the validation, let ``check`` refuse it (nothing changes then),
        mark it used and stamp the user's ``primary_email_address_validated_at``.
        """
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM contact_info_validations WHERE tenant_id = %s AND validation_id = %s"
                " FOR UPDATE",
                (tenant, validation_id),
            )
            found = await cur.fetchone()
            if found is None:
                raise errors.invalid_validation_token()
            row = _row(found)
            check(row)
            cur = await conn.execute(
                "SELECT data, primary_email_address FROM users WHERE tenant_id = %s AND entity_id = %s FOR UPDATE",
                (tenant, row.user_id),
            )
            user_row = await cur.fetchone()
            if user_row is None or str(user_row[1]).lower() != row.email.lower():
                raise errors.email_changed(user_id=row.user_id)
            cur = await conn.execute(
                "UPDATE contact_info_validations SET used_at = now(), updated_at = now()"
                " WHERE tenant_id = %s AND validation_id = %s RETURNING used_at",
                (tenant, validation_id),
            )
            used = await cur.fetchone()
            assert used is not None
            user = user_pb2.User.FromString(user_row[0])
            user.primary_email_address_validated_at.CopyFrom(timestamp(used[0]))
            await conn.execute(
                "UPDATE users SET data = %s, updated_at = now() WHERE tenant_id = %s AND entity_id = %s",
                (user.SerializeToString(), tenant, row.user_id),
            )
        return row
