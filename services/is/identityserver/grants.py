"""A user's OAuth authorizations, access tokens and login sessions, as the user (or an admin) sees
and revokes them. Every revocation publishes an event, which also empties the services' rights caches.
"""

from __future__ import annotations

from identityserver import errors
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.common import Page
from identityserver.pgstore.oauth import AuthorizationRow, OAuthStore, SessionRow, TokenRow
from identityserver.registry import Notify, _silent
from ttn.lorawan.v3 import rights_pb2

__all__ = ["Grants"]


class Grants:
    def __init__(self, store: OAuthStore, auth: Authorizer, notify: Notify = _silent) -> None:
        self._store = store
        self._auth = auth
        self._notify = notify

    async def authorizations(self, caller: Caller, user_id: str, page: Page) -> tuple[list[AuthorizationRow], int]:
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_AUTHORIZED_CLIENTS)
        return await self._store.authorizations(caller.tenant_id, user_id, page)

    async def tokens(self, caller: Caller, user_id: str, client_id: str, page: Page) -> tuple[list[TokenRow], int]:
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_AUTHORIZED_CLIENTS)
        return await self._store.tokens(caller.tenant_id, user_id, client_id, page)

    async def delete_authorization(self, caller: Caller, user_id: str, client_id: str) -> None:
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_AUTHORIZED_CLIENTS)
        if not await self._store.delete_authorization(caller.tenant_id, user_id, client_id):
            raise errors.not_found(entity_type="authorization", entity_id=f"{user_id}/{client_id}")
        await self._notify("is.oauth.authorization.delete", caller.tenant_id, "user", user_id)

    async def delete_token(self, caller: Caller, user_id: str, client_id: str, token_id: str) -> None:
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_AUTHORIZED_CLIENTS)
        row = await self._store.token(caller.tenant_id, token_id)
        if row is None or (row.user_id, row.client_id) != (user_id, client_id):
            raise errors.not_found(entity_type="access_token", entity_id=token_id)
        if await self._store.take_token(caller.tenant_id, token_id) is not None:
            await self._notify("is.oauth.access_token.delete", caller.tenant_id, "user", user_id)

    async def sessions(self, caller: Caller, user_id: str, page: Page) -> tuple[list[SessionRow], int]:
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_ALL)
        return await self._store.sessions(caller.tenant_id, user_id, page)

    async def delete_session(self, caller: Caller, user_id: str, session_id: str) -> None:
        """End a login session; the tokens issued through it end with it."""
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_ALL)
        if not await self._store.delete_session(caller.tenant_id, user_id, session_id):
            raise errors.not_found(entity_type="session", entity_id=session_id)
        await self._notify("is.user.session.delete", caller.tenant_id, "user", user_id)
