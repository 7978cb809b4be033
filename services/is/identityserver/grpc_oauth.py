"""``OAuthAuthorizationRegistry`` and ``UserSessionRegistry`` servicers over :class:`Grants`."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver import validation
from identityserver.auth import Authorizer
from identityserver.grants import Grants
from identityserver.grpc_common import Context, caller_of, page_of, send_total
from identityserver.pgstore.common import timestamp
from identityserver.pgstore.oauth import TokenRow
from ttn.lorawan.v3 import identifiers_pb2, oauth_pb2, user_pb2

__all__ = ["OAuthAuthorizationRegistryServicer", "UserSessionRegistryServicer", "token_message"]


def _user(user_id: str) -> identifiers_pb2.UserIdentifiers:
    return identifiers_pb2.UserIdentifiers(user_id=user_id)


def token_message(row: TokenRow) -> oauth_pb2.OAuthAccessToken:
    """A token as listed: never its secrets."""
    msg = oauth_pb2.OAuthAccessToken(
        user_ids=_user(row.user_id),
        user_session_id=row.session_id,
        client_ids=identifiers_pb2.ClientIdentifiers(client_id=row.client_id),
        id=row.token_id,
        rights=list(row.rights),  # type: ignore[arg-type]
    )
    msg.created_at.CopyFrom(timestamp(row.created_at))
    msg.expires_at.CopyFrom(timestamp(row.expires_at))
    return msg


class OAuthAuthorizationRegistryServicer:
    def __init__(self, grants: Grants, auth: Authorizer) -> None:
        self._grants = grants
        self._auth = auth

    async def List(
        self, request: oauth_pb2.ListOAuthClientAuthorizationsRequest, context: Context
    ) -> oauth_pb2.OAuthClientAuthorizations:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        caller = await caller_of(self._auth, context)
        rows, total = await self._grants.authorizations(caller, user_id, page_of(request))
        await send_total(context, total)
        out = oauth_pb2.OAuthClientAuthorizations()
        for row in rows:
            item = out.authorizations.add(
                user_ids=_user(row.user_id),
                client_ids=identifiers_pb2.ClientIdentifiers(client_id=row.client_id),
                rights=list(row.rights),
            )
            item.created_at.CopyFrom(timestamp(row.created_at))
            item.updated_at.CopyFrom(timestamp(row.updated_at))
        return out

    async def ListTokens(
        self, request: oauth_pb2.ListOAuthAccessTokensRequest, context: Context
    ) -> oauth_pb2.OAuthAccessTokens:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        client_id = validation.check_id(request.client_ids.client_id, "client_ids.client_id")
        caller = await caller_of(self._auth, context)
        rows, total = await self._grants.tokens(caller, user_id, client_id, page_of(request))
        await send_total(context, total)
        return oauth_pb2.OAuthAccessTokens(tokens=[token_message(r) for r in rows])

    async def Delete(self, request: oauth_pb2.OAuthClientAuthorizationIdentifiers, context: Context) -> Empty:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        client_id = validation.check_id(request.client_ids.client_id, "client_ids.client_id")
        caller = await caller_of(self._auth, context)
        await self._grants.delete_authorization(caller, user_id, client_id)
        return Empty()

    async def DeleteToken(self, request: oauth_pb2.OAuthAccessTokenIdentifiers, context: Context) -> Empty:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        client_id = validation.check_id(request.client_ids.client_id, "client_ids.client_id")
        caller = await caller_of(self._auth, context)
        await self._grants.delete_token(caller, user_id, client_id, request.id)
        return Empty()


class UserSessionRegistryServicer:
    def __init__(self, grants: Grants, auth: Authorizer) -> None:
        self._grants = grants
        self._auth = auth

    async def List(self, request: user_pb2.ListUserSessionsRequest, context: Context) -> user_pb2.UserSessions:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        caller = await caller_of(self._auth, context)
        rows, total = await self._grants.sessions(caller, user_id, page_of(request))
        await send_total(context, total)
        out = user_pb2.UserSessions()
        for row in rows:
            item = out.sessions.add(user_ids=_user(row.user_id), session_id=row.session_id)
            item.created_at.CopyFrom(timestamp(row.created_at))
            item.updated_at.CopyFrom(timestamp(row.updated_at))
            item.expires_at.CopyFrom(timestamp(row.expires_at))
        return out

    async def Delete(self, request: user_pb2.UserSessionIdentifiers, context: Context) -> Empty:
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        caller = await caller_of(self._auth, context)
        await self._grants.delete_session(caller, user_id, request.session_id)
        return Empty()
