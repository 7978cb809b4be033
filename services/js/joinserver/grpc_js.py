"""The ``ttn.lorawan.v3.Js`` service: what this Join Server is authoritative for."""

from __future__ import annotations

from typing import Any

from google.protobuf import empty_pb2

from joinserver.config import JoinPrefix
from ttn.lorawan.v3 import joinserver_pb2, joinserver_pb2_grpc

__all__ = ["JsServicer"]


class JsServicer(joinserver_pb2_grpc.JsServicer):
    def __init__(self, prefixes: tuple[JoinPrefix, ...]) -> None:
        self._answer = joinserver_pb2.JoinEUIPrefixes(
            prefixes=[joinserver_pb2.JoinEUIPrefix(join_eui=p.join_eui, length=p.length) for p in prefixes]
        )

    async def GetJoinEUIPrefixes(self, request: empty_pb2.Empty, context: Any) -> joinserver_pb2.JoinEUIPrefixes:
        return self._answer
