"""ttn.lorawan.v3.GsNs: uplinks from the Gateway Server (cluster peers only, checked by the interceptor)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from networkserver.uplink.ingress import UplinkIngress
from ttn.lorawan.v3 import messages_pb2, networkserver_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

__all__ = ["GsNsServicer"]


class GsNsServicer(networkserver_pb2_grpc.GsNsServicer):
    def __init__(self, ingress: UplinkIngress) -> None:
        self._ingress = ingress

    async def HandleUplink(self, request: messages_pb2.UplinkMessage, context: Context) -> empty_pb2.Empty:
        await self._ingress.receive(request)
        return empty_pb2.Empty()
