"""Gs: connection statistics of a gateway, answered from the shared store by any replica."""

from __future__ import annotations

import grpc

from gatewayserver import errors
from gatewayserver.store import ConnectionStatsStore
from lorastack.rights import RightsClient
from ttn.lorawan.v3 import gateway_pb2, gatewayserver_pb2_grpc, identifiers_pb2, rights_pb2

__all__ = ["GsServicer"]


class GsServicer(gatewayserver_pb2_grpc.GsServicer):
    def __init__(self, rights: RightsClient, stats: ConnectionStatsStore) -> None:
        self._rights = rights
        self._stats = stats

    async def GetGatewayConnectionStats(
        self, request: identifiers_pb2.GatewayIdentifiers, context: grpc.aio.ServicerContext[object, object]
    ) -> gateway_pb2.GatewayConnectionStats:
        await self._rights.require("gateway", request.gateway_id, rights_pb2.RIGHT_GATEWAY_STATUS_READ)
        stats = await self._stats.get(request.gateway_id)
        if stats is None:
            raise errors.not_connected(gateway_uid=request.gateway_id)
        return stats
