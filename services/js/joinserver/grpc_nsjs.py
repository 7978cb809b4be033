"""The ``ttn.lorawan.v3.NsJs`` and ``ttn.lorawan.v3.AsJs`` services (cluster-only; the interceptor
refuses callers without the cluster key before these run)."""

from __future__ import annotations

from typing import Any

from joinserver import errors
from joinserver.join import JoinHandler
from joinserver.sessions import SessionKeys
from lorastack.rpc.auth import current_peer_role
from ttn.lorawan.v3 import join_pb2, joinserver_pb2, joinserver_pb2_grpc

__all__ = ["AsJsServicer", "NsJsServicer", "require_peer_role"]


def require_peer_role(required: str, method: str) -> None:
    """Refuse a caller whose declared cluster role is not ``required``.

    The role is the only caller identity a cluster peer has here: every peer presents the same
    cluster key, without a certificate, so a device's ``network_server_address`` or
    ``application_server_id`` cannot be matched against the caller and is not checked. A role
    header is only believed together with a valid cluster key (the interceptor sets it then).
    """
    role = current_peer_role.get()
    if role != required:
        raise errors.peer_role_denied(required=required, method=method, role=role or "none")


class NsJsServicer(joinserver_pb2_grpc.NsJsServicer):
    def __init__(self, joins: JoinHandler, sessions: SessionKeys) -> None:
        self._joins = joins
        self._sessions = sessions

    async def HandleJoin(self, request: join_pb2.JoinRequest, context: Any) -> join_pb2.JoinResponse:
        require_peer_role("ns", "NsJs.HandleJoin")
        return await self._joins.handle(request)

    async def GetNwkSKeys(
        self, request: joinserver_pb2.SessionKeyRequest, context: Any
    ) -> joinserver_pb2.NwkSKeysResponse:
        require_peer_role("ns", "NsJs.GetNwkSKeys")
        return await self._sessions.network_keys(request)


class AsJsServicer(joinserver_pb2_grpc.AsJsServicer):
    def __init__(self, sessions: SessionKeys) -> None:
        self._sessions = sessions

    async def GetAppSKey(
        self, request: joinserver_pb2.SessionKeyRequest, context: Any
    ) -> joinserver_pb2.AppSKeyResponse:
        require_peer_role("as", "AsJs.GetAppSKey")
        return await self._sessions.app_key(request)
