"""The ``ttn.lorawan.v3.NsJs`` and ``ttn.lorawan.v3.AsJs`` services (cluster-only; the interceptor
refuses callers without the cluster key before these run)."""

from __future__ import annotations

from typing import Any

from joinserver.join import JoinHandler
from joinserver.sessions import SessionKeys
from ttn.lorawan.v3 import join_pb2, joinserver_pb2, joinserver_pb2_grpc

__all__ = ["AsJsServicer", "NsJsServicer"]


class NsJsServicer(joinserver_pb2_grpc.NsJsServicer):
    def __init__(self, joins: JoinHandler, sessions: SessionKeys) -> None:
        self._joins = joins
        self._sessions = sessions

    async def HandleJoin(self, request: join_pb2.JoinRequest, context: Any) -> join_pb2.JoinResponse:
        return await self._joins.handle(request)

    async def GetNwkSKeys(
        self, request: joinserver_pb2.SessionKeyRequest, context: Any
    ) -> joinserver_pb2.NwkSKeysResponse:
        return await self._sessions.network_keys(request)


class AsJsServicer(joinserver_pb2_grpc.AsJsServicer):
    def __init__(self, sessions: SessionKeys) -> None:
        self._sessions = sessions

    async def GetAppSKey(
        self, request: joinserver_pb2.SessionKeyRequest, context: Any
    ) -> joinserver_pb2.AppSKeyResponse:
        return await self._sessions.app_key(request)
