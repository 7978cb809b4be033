"""GtwGs: gateways linking over gRPC, and their concentrator configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf import empty_pb2

from gatewayserver.gtwlink import GrpcFrontend, concentrator_config
from ttn.lorawan.v3 import gatewayserver_pb2, gatewayserver_pb2_grpc, regional_pb2

__all__ = ["GtwGsServicer"]


class GtwGsServicer(gatewayserver_pb2_grpc.GtwGsServicer):
    def __init__(self, frontend: GrpcFrontend) -> None:
        self._frontend = frontend

    async def LinkGateway(
        self,
        request_iterator: AsyncIterator[gatewayserver_pb2.GatewayUp],
        context: grpc.aio.ServicerContext[object, object],
    ) -> AsyncIterator[gatewayserver_pb2.GatewayDown]:
        gateway, plan = await self._frontend.identify()
        peer = context.peer().rpartition(":")[0].removeprefix("ipv4:").removeprefix("ipv6:")
        async for down in self._frontend.link(gateway, plan, request_iterator, peer):
            yield down

    async def GetConcentratorConfig(
        self, request: empty_pb2.Empty, context: grpc.aio.ServicerContext[object, object]
    ) -> regional_pb2.ConcentratorConfig:
        _, plan = await self._frontend.identify()
        return concentrator_config(plan)
