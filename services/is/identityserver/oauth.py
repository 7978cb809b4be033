"""The OAuth 2.0 server's logic (RFC 6749 authorization code and refresh token grants, RFC 7636 PKCE,
RFC 7009 revocation), and the login sessions behind it. The HTTP pages live in ``oauth_http``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from identityserver import credentials
from identityserver.clients import Clients
from identityserver.pgstore.oauth import CodeRow, OAuthStore, SessionRow, TokenRow
from identityserver.pgstore.users import UserSecrets
from identityserver.registry import Notify, _silent
from ttn.lorawan.v3 import client_pb2, enums_pb2

__all__ = ["ACCESS_PREFIX", "REFRESH_PREFIX", "OAuth", "OAuthError", "TokenPair"]

ACCESS_PREFIX = credentials.ACCESS_TOKEN_PREFIX
REFRESH_PREFIX = credentials.REFRESH_TOKEN_PREFIX
ACCESS_TTL = timedelta(hours=1)
REFRESH_TTL = timedelta(days=30)
CODE_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(days=30)


class OAuthError(Exception):
    """An RFC 6749 error: ``code`` (``invalid_grant``...) and a human description."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    row: TokenRow


def _sha(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 section 4.6: S256 compares the unpadded base64url SHA-256 of the verifier."""
    if method == "S256":
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        return hmac.compare_digest(digest, challenge)
    return hmac.compare_digest(verifier, challenge)


class OAuth:
    def __init__(
        self,
        store: OAuthStore,
        users: UserSecrets,
        clients: Clients,
        notify: Notify = _silent,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._users = users
        self._clients = clients
        self._notify = notify
        self._clock = clock

    # Sessions -----------------------------------------------------------------

    async def login(self, tenant: str, user_id: str, password: str) -> str | None:
        """A session cookie value for the right password, else None (the same work either way)."""
        try:
            current, _, _ = await self._users.hashes(tenant, user_id)
        except Exception:
            current = ""
        if not await credentials.check_password(password, current):
            return None
        session_id = _random.token_hex(16)
        secret = _random.token_urlsafe(32)
        await self.store.create_session(tenant, user_id, session_id, _sha(secret), self._clock() + SESSION_TTL)
        await self._notify("is.user.session.create", tenant, "user", user_id)
        return f"{session_id}.{secret}"

    async def session(self, tenant: str, cookie: str | None) -> SessionRow | None:
        session_id, _, secret = (cookie or "").partition(".")
        if not session_id or not secret:
            return None
        row = await self.store.session(tenant, session_id)
        if row is None or not hmac.compare_digest(row.secret_hash, _sha(secret)) or row.expires_at <= self._clock():
            return None
        return row

    async def logout(self, tenant: str, cookie: str | None) -> None:
        row = await self.session(tenant, cookie)
        if row is not None and await self.store.delete_session(tenant, row.user_id, row.session_id):
            await self._notify("is.user.session.delete", tenant, "user", row.user_id)

    @staticmethod
    def csrf_token(session: SessionRow) -> str:
        """Binds the consent form to the session that rendered it."""
        return hmac.new(session.secret_hash, b"consent", hashlib.sha256).hexdigest()

    # Authorization --------------------------------------------------------------

    async def client_for(self, tenant: str, client_id: str, redirect_uri: str) -> tuple[client_pb2.Client, str]:
        """The approved client and the redirect URI to use; never trusts a URI the client did not register."""
        client = await self._clients.registry.store.get(tenant, client_id) if client_id else None
        if client is None:
            raise OAuthError("invalid_client", "unknown client")
        if client.state != enums_pb2.STATE_APPROVED:
            raise OAuthError("unauthorized_client", "the client is not approved")
        if client_pb2.GRANT_AUTHORIZATION_CODE not in client.grants:
            raise OAuthError("unauthorized_client", "the client may not use the authorization code grant")
        if not redirect_uri:
            if len(client.redirect_uris) != 1:
                raise OAuthError("invalid_request", "redirect_uri is required")
            return client, client.redirect_uris[0]
        if redirect_uri not in client.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered to the client")
        return client, redirect_uri

    async def needs_consent(self, tenant: str, user_id: str, client: client_pb2.Client) -> bool:
        if client.skip_authorization:
            return False
        existing = await self.store.authorization(tenant, user_id, client.ids.client_id)
        return existing is None or not set(client.rights) <= set(existing.rights)

    async def grant_code(
        self,
        tenant: str,
        session: SessionRow,
        client: client_pb2.Client,
        redirect_uri: str,
        state: str,
        challenge: str,
        method: str,
    ) -> str:
        """Record the user's authorization of the client and return a one-time code."""
        if challenge and method not in ("S256", "plain"):
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain")
        client_id = client.ids.client_id
        rights = sorted(set(client.rights))
        if await self.store.authorization(tenant, session.user_id, client_id) is None:
            await self.store.authorize(tenant, session.user_id, client_id, rights)
            await self._notify("is.oauth.authorization.create", tenant, "user", session.user_id)
        else:
            await self.store.authorize(tenant, session.user_id, client_id, rights)
        code = _random.token_urlsafe(32)
        row = CodeRow(
            session.user_id,
            client_id,
            session.session_id,
            tuple(rights),
            redirect_uri,
            state,
            challenge,
            (method or "plain") if challenge else "",
            self._clock() + CODE_TTL,
        )
        await self.store.create_code(tenant, _sha(code), row)
        return code

    # Token endpoint -------------------------------------------------------------

    async def authenticate_client(self, tenant: str, client_id: str, secret: str) -> client_pb2.Client:
        stored = await self._clients.secrets.secret_hash(tenant, client_id) if client_id else None
        client = await self._clients.registry.store.get(tenant, client_id) if stored is not None else None
        # A client without a secret is public and proves itself through PKCE instead.
        valid = client is not None and (not stored or await credentials.check_password(secret, stored))
        if client is None or not valid or client.state != enums_pb2.STATE_APPROVED:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client

    async def exchange_code(
        self, tenant: str, client: client_pb2.Client, code: str, redirect_uri: str, verifier: str
    ) -> TokenPair:
        row = await self.store.take_code(tenant, _sha(code)) if code else None
        if row is None or row.client_id != client.ids.client_id:
            raise OAuthError("invalid_grant", "the code is invalid, used or not for this client")
        if row.expires_at <= self._clock():
            raise OAuthError("invalid_grant", "the code expired")
        if redirect_uri != row.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        if row.code_challenge and not pkce_matches(verifier, row.code_challenge, row.challenge_method):
            raise OAuthError("invalid_grant", "code_verifier does not match the code challenge")
        return await self._issue(tenant, row.user_id, client.ids.client_id, row.session_id, row.rights)

    async def refresh(self, tenant: str, client: client_pb2.Client, refresh_token: str) -> TokenPair:
        if client_pb2.GRANT_REFRESH_TOKEN not in client.grants:
            raise OAuthError("unauthorized_client", "the client may not use refresh tokens")
        parsed = credentials.parse_token(refresh_token, REFRESH_PREFIX)
        row = await self.store.token(tenant, parsed[0]) if parsed else None
        if parsed is None or row is None or not hmac.compare_digest(row.refresh_hash, _sha(parsed[1])):
            raise OAuthError("invalid_grant", "the refresh token is invalid or was used")
        if row.client_id != client.ids.client_id or row.refresh_expires_at <= self._clock():
            raise OAuthError("invalid_grant", "the refresh token expired or is not for this client")
        # Rotation: the old pair dies with its use; a second use of the same refresh token fails.
        if await self.store.take_token(tenant, row.token_id) is None:
            raise OAuthError("invalid_grant", "the refresh token was used")
        return await self._issue(tenant, row.user_id, row.client_id, row.session_id, row.rights)

    async def _issue(
        self, tenant: str, user_id: str, client_id: str, session_id: str, rights: tuple[int, ...]
    ) -> TokenPair:
        token_id, access_secret, access = credentials.new_token(ACCESS_PREFIX)
        _, refresh_secret, refresh = credentials.new_token(REFRESH_PREFIX, token_id)
        now = self._clock()
        row = TokenRow(
            token_id,
            user_id,
            client_id,
            session_id,
            _sha(access_secret),
            _sha(refresh_secret),
            rights,
            now,
            now + ACCESS_TTL,
            now + REFRESH_TTL,
        )
        await self.store.create_token(tenant, row)
        await self._notify("is.oauth.access_token.create", tenant, "user", user_id)
        return TokenPair(access, refresh, int(ACCESS_TTL.total_seconds()), row)

    async def revoke(self, tenant: str, client: client_pb2.Client, token: str) -> None:
        """RFC 7009: revoke an access or refresh token of this client; unknown tokens are not an error."""
        parsed = credentials.parse_token(token, ACCESS_PREFIX) or credentials.parse_token(token, REFRESH_PREFIX)
        row = await self.store.token(tenant, parsed[0]) if parsed else None
        if parsed is None or row is None or row.client_id != client.ids.client_id:
            return
        if not (
            hmac.compare_digest(row.access_hash, _sha(parsed[1]))
            or hmac.compare_digest(row.refresh_hash, _sha(parsed[1]))
        ):
            return
        if await self.store.take_token(tenant, row.token_id) is not None:
            await self._notify("is.oauth.access_token.delete", tenant, "user", row.user_id)

    async def access_token(self, tenant: str, token: str) -> TokenRow | None:
        """The live token row of a presented access token."""
        parsed = credentials.parse_token(token, ACCESS_PREFIX)
        row = await self.store.token(tenant, parsed[0]) if parsed else None
        if parsed is None or row is None or not hmac.compare_digest(row.access_hash, _sha(parsed[1])):
            return None
        return row
