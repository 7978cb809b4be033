"""ttn.lorawan.v3.AsNs: the application link (a server stream drained from the application's
Redis stream, at least once) and the application downlink queue.

The link names its application in the ``id`` call metadata, as The Things Stack's rpcmetadata does."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import empty_pb2

from lorastack.rights import RightsClient
from networkserver import errors
from networkserver.downlink.queue import DownlinkQueue
from networkserver.observability import NsMetrics
from networkserver.store import ApplicationUpQueue
from networkserver.tenancy import application_key
from ttn.lorawan.v3 import identifiers_pb2, messages_pb2, networkserver_pb2_grpc, rights_pb2

Context = grpc.aio.ServicerContext[Any, Any]

__all__ = ["AsNsServicer"]

_CONSUMER = "application-server"
_BATCH = 256
_ACK_GATHER_SECONDS = 0.02


def _ids(ids: identifiers_pb2.EndDeviceIdentifiers) -> tuple[str, str]:
    if not ids.application_ids.application_id or not ids.device_id:
        raise errors.ERR_INVALID_FIELD(field="end_device_ids", reason="application and device id are required")
    return ids.application_ids.application_id, ids.device_id


class _Acknowledgements:
    """The AS answers each ApplicationUp with an Empty once it holds the message; only then is the
    entry removed from the stream. What was not acknowledged is sent again on the next link."""

    def __init__(self, ups: ApplicationUpQueue, app_id: str) -> None:
        self._ups = ups
        self._app_id = app_id
        self._unacknowledged: deque[bytes] = deque()
        self._ready: list[bytes] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []

    def sent(self, entry_id: bytes) -> None:
        self._unacknowledged.append(entry_id)

    def start(self, requests: AsyncIterator[empty_pb2.Empty]) -> None:
        self._tasks = [asyncio.create_task(self._receive(requests)), asyncio.create_task(self._flush())]

    async def _receive(self, requests: AsyncIterator[empty_pb2.Empty]) -> None:
        async for _ in requests:
            if self._unacknowledged:
                self._ready.append(self._unacknowledged.popleft())
                self._wake.set()

    async def _flush(self) -> None:
        while not self._closing or self._ready:
            await self._wake.wait()
            if not self._closing:
                # Acknowledgements are not urgent: gathering them saves a Redis round trip per message.
                await asyncio.sleep(_ACK_GATHER_SECONDS)
            self._wake.clear()
            ids, self._ready = self._ready, []
            if ids:
                await self._ups.ack(self._app_id, ids)

    async def stop(self) -> None:
        # The flusher is told to finish rather than cancelled, so no Redis call is cut in half.
        self._tasks[0].cancel()
        self._closing = True
        self._wake.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._tasks[1], 2)


class AsNsServicer(networkserver_pb2_grpc.AsNsServicer):
    def __init__(
        self,
        ups: ApplicationUpQueue,
        queue: DownlinkQueue,
        rights: RightsClient,
        *,
        block_ms: int = 1000,
        metrics: NsMetrics | None = None,
        default_tenant: str = "default",
    ) -> None:
        self._metrics = metrics
        self._default_tenant = default_tenant
        self._ups = ups
        self._queue = queue
        self._rights = rights
        self._block_ms = block_ms

    async def LinkApplication(
        self, request_iterator: AsyncIterator[empty_pb2.Empty], context: Context
    ) -> AsyncIterator[messages_pb2.ApplicationUp]:
        app_id = dict(context.invocation_metadata() or ()).get("id", "")
        if not isinstance(app_id, str) or not app_id:
            raise errors.ERR_MISSING_APPLICATION_ID()
        await self._rights.require("application", app_id, rights_pb2.RIGHT_APPLICATION_LINK)
        app_id = application_key(app_id, self._default_tenant)
        acks = _Acknowledgements(self._ups, app_id)
        acks.start(request_iterator)
        try:
            pending = True
            while True:
                batch = await self._ups.read(app_id, _CONSUMER, pending=pending, count=_BATCH, block_ms=self._block_ms)
                if pending and not batch:
                    pending = False
                    continue
                now = time.time()
                for entry_id, up in batch:
                    if up.HasField("received_at") and self._metrics is not None:
                        waited = now - up.received_at.ToNanoseconds() / 1e9
                        self._metrics.hop_latency.labels(hop="received_to_as_link").observe(max(0.0, waited))
                    acks.sent(entry_id)
                    yield up
        finally:
            await acks.stop()

    async def DownlinkQueuePush(self, request: messages_pb2.DownlinkQueueRequest, context: Context) -> empty_pb2.Empty:
        app_id, dev_id = _ids(request.end_device_ids)
        await self._rights.require("application", app_id, rights_pb2.RIGHT_APPLICATION_LINK)
        await self._queue.push(application_key(app_id, self._default_tenant), dev_id, request.downlinks, replace=False)
        return empty_pb2.Empty()

    async def DownlinkQueueReplace(
        self, request: messages_pb2.DownlinkQueueRequest, context: Context
    ) -> empty_pb2.Empty:
        app_id, dev_id = _ids(request.end_device_ids)
        await self._rights.require("application", app_id, rights_pb2.RIGHT_APPLICATION_LINK)
        await self._queue.push(application_key(app_id, self._default_tenant), dev_id, request.downlinks, replace=True)
        return empty_pb2.Empty()

    async def DownlinkQueueList(
        self, request: identifiers_pb2.EndDeviceIdentifiers, context: Context
    ) -> messages_pb2.ApplicationDownlinks:
        app_id, dev_id = _ids(request)
        await self._rights.require("application", app_id, rights_pb2.RIGHT_APPLICATION_LINK)
        return await self._queue.list(application_key(app_id, self._default_tenant), dev_id)
