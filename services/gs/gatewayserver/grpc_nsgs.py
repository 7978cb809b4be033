"""NsGs: the Network Server asks this GS to schedule downlinks (cluster peers only, checked by the interceptor)."""

from __future__ import annotations

import grpc

from gatewayserver.presence import FORWARDED_KEY
from gatewayserver.scheduling.downlink import DownlinkService
from ttn.lorawan.v3 import gatewayserver_pb2, gatewayserver_pb2_grpc, messages_pb2

__all__ = ["NsGsServicer"]


class NsGsServicer(gatewayserver_pb2_grpc.NsGsServicer):
    def __init__(self, downlinks: DownlinkService) -> None:
        self._downlinks = downlinks

    async def ScheduleDownlink(
        self, request: messages_pb2.DownlinkMessage, context: grpc.aio.ServicerContext[object, object]
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse:
        metadata = context.invocation_metadata() or ()
        forwarded = any(key == FORWARDED_KEY for key, _ in metadata)
        return await self._downlinks.schedule(request, allow_forward=not forwarded)
