"""GatewayConfigurator: streams a gateway's registration, and again whenever it changes (polled at the IS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import grpc
from google.protobuf import field_mask_pb2

from lorastack.rights import RightsClient
from ttn.lorawan.v3 import gateway_pb2, gateway_services_pb2, gateway_services_pb2_grpc, rights_pb2

__all__ = ["GatewayConfiguratorServicer"]


class GatewayConfiguratorServicer(gateway_services_pb2_grpc.GatewayConfiguratorServicer):
    def __init__(
        self,
        rights: RightsClient,
        channel: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], tuple[tuple[str, str], ...]],
        *,
        poll_interval: float = 30.0,
    ) -> None:
        self._rights = rights
        self._channel = channel
        self._metadata = metadata
        self._poll_interval = poll_interval

    async def PullConfiguration(
        self,
        request: gateway_services_pb2.PullGatewayConfigurationRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> AsyncIterator[gateway_pb2.Gateway]:
        await self._rights.require("gateway", request.gateway_ids.gateway_id, rights_pb2.RIGHT_GATEWAY_INFO)
        last = b""
        while True:
            gateway = await self._fetch(request)
            encoded = gateway.SerializeToString(deterministic=True)
            if encoded != last:
                last = encoded
                yield gateway
            await asyncio.sleep(self._poll_interval)

    async def _fetch(self, request: gateway_services_pb2.PullGatewayConfigurationRequest) -> gateway_pb2.Gateway:
        channel = self._channel()
        if channel is None:
            return gateway_pb2.Gateway(ids=request.gateway_ids)
        stub = gateway_services_pb2_grpc.GatewayRegistryStub(channel)
        paths = list(request.field_mask.paths) or ["frequency_plan_id", "frequency_plan_ids", "antennas"]
        get = gateway_pb2.GetGatewayRequest(
            gateway_ids=request.gateway_ids, field_mask=field_mask_pb2.FieldMask(paths=paths)
        )
        gateway: gateway_pb2.Gateway = await stub.Get(get, metadata=self._metadata(), timeout=5)
        return gateway
