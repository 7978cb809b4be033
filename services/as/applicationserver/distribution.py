"""Delivery from the uplink stream: live listeners of this process (MQTT clients, AppAs.Subscribe) tail it,
durable integrations (webhooks, pub/sub) read it through a consumer group each and acknowledge an entry only
after delivering it, so a restart resumes where the integration was. Both hand on each message with its
application key, which names the tenant."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import structlog

from applicationserver.redisstore import RedisUpStream
from ttn.lorawan.v3 import messages_pb2

__all__ = ["DurableConsumer", "LiveFanout"]

log = structlog.get_logger(logger_name="applicationserver.distribution")

Listener = Callable[[str, messages_pb2.ApplicationUp], None]
Deliver = Callable[[str, Sequence[messages_pb2.ApplicationUp]], Awaitable[None]]
_Item = tuple[str, str, messages_pb2.ApplicationUp]
_BATCH = 64
_READ_COUNT = 200


class LiveFanout:
    """Listeners are plain callbacks that must not block (they queue what they cannot do at once)."""

    def __init__(self, upstream: RedisUpStream, *, block_ms: int = 1000, linger_ms: int = 5) -> None:
        self._upstream = upstream
        self._block_ms = block_ms
        self._linger = linger_ms / 1000
        self._listeners: dict[str, set[Listener]] = {}
        self._everything: set[Listener] = set()
        self.ready = asyncio.Event()

    def add(self, app_key: str | None, listener: Listener) -> Callable[[], None]:
        """Listen to one application (or all, with None); returns the function that stops listening."""
        bucket = self._everything if app_key is None else self._listeners.setdefault(app_key, set())
        bucket.add(listener)

        def remove() -> None:
            bucket.discard(listener)

        return remove

    async def run(self) -> None:
        last = await self._upstream.last_id()
        self.ready.set()
        while True:
            try:
                entries = await self._upstream.read_after(last, count=_READ_COUNT, block_ms=self._block_ms)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the uplink stream failed")
                await asyncio.sleep(1)
                continue
            for entry_id, app_key, up in entries:
                last = entry_id
                self._dispatch(app_key, up)
            if entries and len(entries) < _READ_COUNT:
                # Caught up: a few milliseconds of gathering save an XREAD per message under load.
                await asyncio.sleep(self._linger)

    def _dispatch(self, app_key: str, up: messages_pb2.ApplicationUp) -> None:
        for listener in (*self._everything, *self._listeners.get(app_key, ())):
            try:
                listener(app_key, up)
            except Exception:
                log.exception("live listener failed")


class DurableConsumer:
    """One consumer group; messages of one application are delivered in order, applications in parallel.

    ``deliver`` takes what has queued up for one application at once and the entries are acknowledged
    together afterwards: one look-up of the integrations and one XACK per batch, not per message."""

    def __init__(
        self,
        upstream: RedisUpStream,
        *,
        group: str,
        consumer: str,
        deliver: Deliver,
        block_ms: int = 1000,
        queue_size: int = 256,
        linger_ms: int = 20,
    ) -> None:
        self._upstream = upstream
        self._linger = linger_ms / 1000
        self.group = group
        self._consumer = consumer
        self._deliver = deliver
        self._block_ms = block_ms
        self._queue_size = queue_size
        self._workers: dict[str, tuple[asyncio.Queue[_Item], asyncio.Task[None]]] = {}

    async def run(self) -> None:
        await self._upstream.ensure_group(self.group)
        try:
            pending = True
            while True:
                try:
                    entries = await self._upstream.read_group(
                        self.group, self._consumer, pending=pending, count=_READ_COUNT, block_ms=self._block_ms
                    )
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("reading the uplink stream failed", group=self.group)
                    await asyncio.sleep(1)
                    continue
                if pending and not entries:
                    pending = False  # what this consumer had taken before a restart is back in hand
                    continue
                for entry in entries:
                    await self._queue_for(entry[1]).put(entry)
                if pending:
                    # Pending entries stay pending until acknowledged; wait before reading them again.
                    await self._drain()
                elif entries and len(entries) < _READ_COUNT:
                    # A short read means the stream is caught up: letting entries gather for a moment turns
                    # a read, a look-up and an XACK per message into one of each per batch.
                    await asyncio.sleep(self._linger)
        finally:
            for _queue, task in self._workers.values():
                task.cancel()
            for _queue, task in self._workers.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _drain(self) -> None:
        for queue, _task in list(self._workers.values()):
            await queue.join()

    def _queue_for(self, app_key: str) -> asyncio.Queue[_Item]:
        existing = self._workers.get(app_key)
        if existing is not None:
            return existing[0]
        queue: asyncio.Queue[_Item] = asyncio.Queue(self._queue_size)
        task = asyncio.create_task(self._work(queue), name=f"{self.group}-{app_key}")
        self._workers[app_key] = (queue, task)
        return queue

    async def _work(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < _BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._deliver(batch[0][1], [up for _id, _key, up in batch])
                await self._upstream.ack(self.group, [entry_id for entry_id, _key, _up in batch])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery failed", group=self.group)
            finally:
                for _ in batch:
                    queue.task_done()
