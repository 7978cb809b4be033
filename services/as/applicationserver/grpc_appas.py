"""The ``ttn.lorawan.v3.AppAs`` service: the uplink stream of one application and its downlink queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import empty_pb2

from applicationserver.distribution import LiveFanout
from applicationserver.downlink import DownlinkService
from applicationserver.tenancy import TenantRights
from ttn.lorawan.v3 import identifiers_pb2, messages_pb2, rights_pb2

__all__ = ["AppAsServicer"]

SUBSCRIBER_QUEUE = 1024


class AppAsServicer:
    def __init__(self, *, fanout: LiveFanout, downlinks: DownlinkService, rights: TenantRights) -> None:
        self._fanout = fanout
        self._downlinks = downlinks
        self._rights = rights

    async def Subscribe(
        self, request: identifiers_pb2.ApplicationIdentifiers, context: Any
    ) -> AsyncIterator[messages_pb2.ApplicationUp]:
        key = await self._rights.check(context, request.application_id, rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ)
        queue: asyncio.Queue[messages_pb2.ApplicationUp] = asyncio.Queue(SUBSCRIBER_QUEUE)

        def listener(_key: str, up: messages_pb2.ApplicationUp) -> None:
            # A subscriber that does not keep up loses the newest messages, never blocks the others.
            if not queue.full():
                queue.put_nowait(up)

        stop = self._fanout.add(key, listener)
        try:
            while True:
                yield await queue.get()
        finally:
            stop()

    async def DownlinkQueuePush(self, request: messages_pb2.DownlinkQueueRequest, context: Any) -> Any:
        app_id = request.end_device_ids.application_ids.application_id
        key = await self._rights.check(context, app_id, rights_pb2.RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE)
        await self._downlinks.enqueue(key, request.end_device_ids, request.downlinks, replace=False)
        return empty_pb2.Empty()

    async def DownlinkQueueReplace(self, request: messages_pb2.DownlinkQueueRequest, context: Any) -> Any:
        app_id = request.end_device_ids.application_ids.application_id
        key = await self._rights.check(context, app_id, rights_pb2.RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE)
        await self._downlinks.enqueue(key, request.end_device_ids, request.downlinks, replace=True)
        return empty_pb2.Empty()

    async def DownlinkQueueList(self, request: identifiers_pb2.EndDeviceIdentifiers, context: Any) -> Any:
        key = await self._rights.check(
            context, request.application_ids.application_id, rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ
        )
        return await self._downlinks.list(key, request)
