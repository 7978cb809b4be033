"""Login sessions, OAuth authorizations, one-time authorization codes and access tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from identityserver.pgstore.common import Page, order_clause, page_clause

__all__ = ["AuthorizationRow", "CodeRow", "OAuthStore", "SessionRow", "TokenRow"]


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_id: str
    user_id: str
    secret_hash: bytes
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuthorizationRow:
    user_id: str
    client_id: str
    rights: tuple[int, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CodeRow:
    user_id: str
    client_id: str
    session_id: str
    rights: tuple[int, ...]
    redirect_uri: str
    state: str
    code_challenge: str
    challenge_method: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_id: str
    user_id: str
    client_id: str
    session_id: str
    access_hash: bytes
    refresh_hash: bytes
    rights: tuple[int, ...]
    created_at: datetime
    expires_at: datetime
    refresh_expires_at: datetime


_SESSION = "session_id, user_id, secret_hash, created_at, updated_at, expires_at"
_TOKEN = (
    "token_id, user_id, client_id, coalesce(session_id, ''), access_hash, refresh_hash, rights, created_at,"
    " expires_at, refresh_expires_at"
)


def _session(row: Sequence[Any]) -> SessionRow:
    return SessionRow(row[0], row[1], bytes(row[2]), row[3], row[4], row[5])


def _token(row: Sequence[Any]) -> TokenRow:
    return TokenRow(row[0], row[1], row[2], row[3], bytes(row[4]), bytes(row[5]), tuple(row[6]), *row[7:10])


class OAuthStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    # Sessions ---------------------------------------------------------------

    async def create_session(
        self, tenant: str, user_id: str, session_id: str, secret_hash: bytes, expires_at: datetime
    ) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO user_sessions (tenant_id, session_id, user_id, secret_hash, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (tenant, session_id, user_id, secret_hash, expires_at),
            )

    async def session(self, tenant: str, session_id: str) -> SessionRow | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_SESSION} FROM user_sessions WHERE tenant_id = %s AND session_id = %s",
                (tenant, session_id),
            )
            row = await cur.fetchone()
        return None if row is None else _session(row)

    async def sessions(self, tenant: str, user_id: str, page: Page) -> tuple[list[SessionRow], int]:
        order = order_clause(page.order, {"created_at": "created_at"}, "session_id")
        limit, args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_SESSION}, count(*) OVER () FROM user_sessions WHERE tenant_id = %s AND user_id = %s"
                f" {order} {limit}",
                (tenant, user_id, *args),
            )
            rows = await cur.fetchall()
        return [_session(r) for r in rows], int(rows[0][6]) if rows else 0

    async def delete_session(self, tenant: str, user_id: str, session_id: str) -> bool:
        """Delete a session; the tokens issued in it go with it."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM user_sessions WHERE tenant_id = %s AND user_id = %s AND session_id = %s",
                (tenant, user_id, session_id),
            )
            return cur.rowcount > 0

    # Authorizations and codes -------------------------------------------------

    async def authorization(self, tenant: str, user_id: str, client_id: str) -> AuthorizationRow | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT user_id, client_id, rights, created_at, updated_at FROM oauth_authorizations"
                " WHERE tenant_id = %s AND user_id = %s AND client_id = %s",
                (tenant, user_id, client_id),
            )
            row = await cur.fetchone()
        return None if row is None else AuthorizationRow(row[0], row[1], tuple(row[2]), row[3], row[4])

    async def authorizations(self, tenant: str, user_id: str, page: Page) -> tuple[list[AuthorizationRow], int]:
        order = order_clause(page.order, {"created_at": "created_at", "client_id": "client_id"}, "client_id")
        limit, args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT user_id, client_id, rights, created_at, updated_at, count(*) OVER ()"
                f" FROM oauth_authorizations WHERE tenant_id = %s AND user_id = %s {order} {limit}",
                (tenant, user_id, *args),
            )
            rows = await cur.fetchall()
        out = [AuthorizationRow(r[0], r[1], tuple(r[2]), r[3], r[4]) for r in rows]
        return out, int(rows[0][5]) if rows else 0

    async def authorize(self, tenant: str, user_id: str, client_id: str, rights: Sequence[int]) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO oauth_authorizations (tenant_id, user_id, client_id, rights) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET rights = EXCLUDED.rights,"
                " updated_at = now()",
                (tenant, user_id, client_id, list(rights)),
            )

    async def delete_authorization(self, tenant: str, user_id: str, client_id: str) -> bool:
        """Delete the authorization with its codes and tokens (cascade)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM oauth_authorizations WHERE tenant_id = %s AND user_id = %s AND client_id = %s",
                (tenant, user_id, client_id),
            )
            return cur.rowcount > 0

    async def create_code(self, tenant: str, code_hash: bytes, code: CodeRow) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO oauth_codes (tenant_id, code_hash, user_id, client_id, session_id, rights,"
                " redirect_uri, state, code_challenge, challenge_method, expires_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    tenant,
                    code_hash,
                    code.user_id,
                    code.client_id,
                    code.session_id,
                    list(code.rights),
                    code.redirect_uri,
                    code.state,
                    code.code_challenge,
                    code.challenge_method,
                    code.expires_at,
                ),
            )

    async def take_code(self, tenant: str, code_hash: bytes) -> CodeRow | None:
        """Remove and return a code: of two concurrent redemptions only one gets it."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM oauth_codes WHERE tenant_id = %s AND code_hash = %s RETURNING user_id, client_id,"
                " session_id, rights, redirect_uri, state, code_challenge, challenge_method, expires_at",
                (tenant, code_hash),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        return CodeRow(row[0], row[1], row[2], tuple(row[3]), *row[4:9])

    # Tokens -------------------------------------------------------------------

    async def create_token(self, tenant: str, token: TokenRow) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO oauth_tokens (tenant_id, token_id, user_id, client_id, session_id, access_hash,"
                " refresh_hash, rights, expires_at, refresh_expires_at)"
                " VALUES (%s, %s, %s, %s, NULLIF(%s, ''), %s, %s, %s, %s, %s)",
                (
                    tenant,
                    token.token_id,
                    token.user_id,
                    token.client_id,
                    token.session_id,
                    token.access_hash,
                    token.refresh_hash,
                    list(token.rights),
                    token.expires_at,
                    token.refresh_expires_at,
                ),
            )

    async def token(self, tenant: str, token_id: str) -> TokenRow | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_TOKEN} FROM oauth_tokens WHERE tenant_id = %s AND token_id = %s", (tenant, token_id)
            )
            row = await cur.fetchone()
        return None if row is None else _token(row)

    async def take_token(self, tenant: str, token_id: str) -> TokenRow | None:
        """Remove and return a token (refresh rotates it; revocation drops it)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"DELETE FROM oauth_tokens WHERE tenant_id = %s AND token_id = %s RETURNING {_TOKEN}",
                (tenant, token_id),
            )
            row = await cur.fetchone()
        return None if row is None else _token(row)

    async def tokens(self, tenant: str, user_id: str, client_id: str, page: Page) -> tuple[list[TokenRow], int]:
        order = order_clause(page.order, {"created_at": "created_at"}, "token_id")
        limit, args = page_clause(page)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_TOKEN}, count(*) OVER () FROM oauth_tokens WHERE tenant_id = %s AND user_id = %s"
                f" AND client_id = %s {order} {limit}",
                (tenant, user_id, client_id, *args),
            )
            rows = await cur.fetchall()
        return [_token(r) for r in rows], int(rows[0][10]) if rows else 0
