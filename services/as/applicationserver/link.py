"""The application links: one AsNs.LinkApplication stream per application that has devices in the AS (or a
link record from As.SetLink), as The Things Stack's AS links them, kept open with backoff.

The AS names the application in the ``id`` call metadata (The Things Stack's rpcmetadata key) and its
tenant in ``x-tenant-id`` beside the cluster key, and answers each ApplicationUp with one Empty once the
message is in the uplink stream, so the Network Server may forget it only after the AS has it for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
import structlog
from google.protobuf import empty_pb2

from applicationserver.observability import ASMetrics, Events
from applicationserver.ports import EventPublisher
from applicationserver.store import DeviceStore, LinkStore, UpStream
from applicationserver.tenancy import Tenancy
from applicationserver.uplink import UplinkProcessor
from lorastack import events
from ttn.lorawan.v3 import messages_pb2, networkserver_pb2_grpc
from ttn.lorawan.v3.applicationserver_pb2 import ApplicationLink

__all__ = ["LinkManager"]

log = structlog.get_logger(logger_name="applicationserver.link")

RESCAN_SECONDS = 5.0
SETTINGS_TTL_SECONDS = 1.0
# Messages handled together: one device read, one stream append and one counter update per batch.
BATCH_SIZE = 128


class LinkManager:
    def __init__(
        self,
        *,
        links: LinkStore,
        processor: UplinkProcessor,
        upstream: UpStream,
        network_server: Callable[[], grpc.aio.Channel | None],
        network_server_address: Callable[[], str],
        metadata: Callable[[], Sequence[tuple[str, str]]],
        publisher: EventPublisher,
        metrics: ASMetrics,
        tenancy: Tenancy,
        backoff: tuple[float, float] = (0.2, 10.0),
        requeue: Callable[[str, messages_pb2.ApplicationUp, ApplicationLink | None], Awaitable[None]] | None = None,
        devices: DeviceStore | None = None,
    ) -> None:
        self._devices = devices
        self._requeue = requeue
        self._links = links
        self._processor = processor
        self._upstream = upstream
        self._ns = network_server
        self._ns_address = network_server_address
        self._metadata = metadata
        self._events = publisher
        self._metrics = metrics
        self._backoff = backoff
        self._tenancy = tenancy
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._errors: dict[str, str] = {}
        self._settings: dict[str, tuple[float, ApplicationLink | None]] = {}

    def linked(self) -> list[str]:
        """The keys of the applications linked from this process."""
        return sorted(self._tasks)

    def error(self, app_key: str) -> str | None:
        """The last link failure of an application, if its link is down now."""
        return self._errors.get(app_key)

    async def run(self) -> None:
        """Keep one link per application with devices or a link record; what other replicas registered is
        found by rescanning."""
        try:
            while True:
                await self.reconcile()
                await asyncio.sleep(RESCAN_SECONDS)
        finally:
            await self.close()

    async def reconcile(self, app_key: str | None = None) -> None:
        if app_key is not None:
            self.forget_settings(app_key)
        wanted = set(await self._links.app_keys())
        if self._devices is not None:
            wanted.update(await self._devices.app_keys())
        names = [app_key] if app_key is not None else sorted(wanted | set(self._tasks))
        for name in names:
            if name in wanted and name not in self._tasks:
                self._tasks[name] = asyncio.create_task(self._keep(name), name=f"link-{name}")
                self._metrics.links_up.set(len(self._tasks))
            elif name not in wanted and name in self._tasks:
                await self._stop(name)

    async def _stop(self, app_key: str) -> None:
        task = self._tasks.pop(app_key, None)
        self._errors.pop(app_key, None)
        self._metrics.links_up.set(len(self._tasks))
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        for app_key in list(self._tasks):
            await self._stop(app_key)

    async def _keep(self, app_key: str) -> None:
        delay = self._backoff[0]
        while True:
            try:
                received = await self._link_once(app_key)
                if received:
                    delay = self._backoff[0]
                self._errors[app_key] = "link closed by the network server"
            except asyncio.CancelledError:
                raise
            except grpc.aio.AioRpcError as err:
                self._errors[app_key] = f"{err.code().name}: {err.details()}"
                log.info("link failed", application_id=app_key, code=err.code().name, details=err.details())
                app_id, tenant = self._tenancy.split(app_key)
                await self._events.publish(Events.link_fail, identifiers=[events.application(app_id)], tenant_id=tenant)
            except Exception as err:
                self._errors[app_key] = repr(err)
                log.exception("link crashed", application_id=app_key)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _link_once(self, app_key: str) -> int:
        channel = self._ns()
        if channel is None:
            self._errors[app_key] = "no network server configured"
            return 0
        app_id, _tenant = self._tenancy.split(app_key)
        stub = networkserver_pb2_grpc.AsNsStub(channel)
        acks: asyncio.Queue[empty_pb2.Empty] = asyncio.Queue()

        async def requests() -> AsyncIterator[empty_pb2.Empty]:
            while True:
                yield await acks.get()

        metadata = (*self._metadata(), ("id", app_id), *self._tenancy.metadata(app_key))
        call = stub.LinkApplication(requests(), metadata=metadata)
        inbox: asyncio.Queue[messages_pb2.ApplicationUp | None] = asyncio.Queue(BATCH_SIZE * 2)
        reader = asyncio.create_task(_read_into(call, inbox), name=f"link-reader-{app_key}")
        received = 0
        try:
            await self._links.record_linked(app_key, self._ns_address())
            self._errors.pop(app_key, None)
            while (batch := await _next_batch(inbox)) is not None and not reader.done():
                # (Once the stream has ended no Empty can reach the NS: it sends what is left again.)
                received += len(batch)
                # The Empties go back only once the messages are in the uplink stream (or dropped on
                # purpose); a failure before that breaks the link and the NS sends them again.
                await self._handle(app_key, app_id, batch)
                for _ in batch:
                    acks.put_nowait(empty_pb2.Empty())
            await reader  # the end of the stream, or the error that ended it
        finally:
            reader.cancel()
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        return received

    async def _link_settings(self, app_key: str) -> ApplicationLink | None:
        # Read at most once a second per application: the settings rarely change, uplinks come often.
        now = time.monotonic()
        cached = self._settings.get(app_key)
        if cached is not None and cached[0] > now:
            return cached[1]
        link = await self._links.get(app_key)
        self._settings[app_key] = (now + SETTINGS_TTL_SECONDS, link)
        return link

    def forget_settings(self, app_key: str) -> None:
        self._settings.pop(app_key, None)

    async def _handle(self, app_key: str, app_id: str, batch: list[messages_pb2.ApplicationUp]) -> None:
        ours = [up for up in batch if up.end_device_ids.application_ids.application_id == app_id]
        if len(ours) < len(batch):
            self._metrics.uplinks_dropped.labels("wrong_application").inc(len(batch) - len(ours))
        if ours:
            link = await self._link_settings(app_key)
            processed = await self._processor.process_batch(app_key, ours, link)
            if processed:
                await self._upstream.append(app_key, processed)
            if self._requeue is not None:
                for up in processed:
                    if up.HasField("downlink_queue_invalidated"):
                        await self._requeue(app_key, up, link)
        await self._links.record_up(app_key, len(batch))


async def _read_into(call: AsyncIterable[messages_pb2.ApplicationUp], inbox: asyncio.Queue[Any]) -> None:
    """Move the link's messages into ``inbox``, then None; an error of the call is raised here."""
    try:
        async for up in call:
            await inbox.put(up)
    finally:
        # Wake the batcher in any case; the queue may be full when the link breaks, so make room.
        while inbox.full():
            inbox.get_nowait()
        inbox.put_nowait(None)


async def _next_batch(
    inbox: asyncio.Queue[messages_pb2.ApplicationUp | None],
) -> list[messages_pb2.ApplicationUp] | None:
    """What has arrived, at least one message and at most BATCH_SIZE; None at the end of the stream."""
    first = await inbox.get()
    if first is None:
        return None
    batch = [first]
    while len(batch) < BATCH_SIZE and not inbox.empty():
        up = inbox.get_nowait()
        if up is None:
            inbox.put_nowait(None)  # seen again by the next call, after this batch is handled
            break
        batch.append(up)
    return batch
