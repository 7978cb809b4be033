"""Where uplinks enter: sanity checks, frame decoding, cross-replica deduplication over the window,
then the join or data pipeline in the background so the Gateway Server is answered at once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from datetime import UTC, datetime

import structlog

from lorastack.events import EventBus
from lorastack.lorawan import (
    DecodeError,
    JoinRequestPayload,
    MACPayload,
    MType,
    PHYPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
    decode_phy_payload,
)
from networkserver.observability import NsMetrics
from networkserver.store import UplinkDeduplicator
from networkserver.uplink.data import DataUplinkHandler, drop
from networkserver.uplink.join import JoinHandler
from networkserver.uplink.process import timestamp
from networkserver.uplink.rejoin import RejoinHandler
from ttn.lorawan.v3 import messages_pb2

__all__ = ["UplinkIngress", "merge_copies"]

log = structlog.get_logger(logger_name="networkserver.ingress")

_DATA_UP = (MType.UNCONFIRMED_DATA_UP, MType.CONFIRMED_DATA_UP)


def merge_copies(copies: list[bytes]) -> messages_pb2.UplinkMessage:
    """One uplink with the receptions of every copy, the earliest reception time and all
    correlation ids."""
    merged = messages_pb2.UplinkMessage.FromString(copies[0])
    seen = set(merged.correlation_ids)
    for raw in copies[1:]:
        copy = messages_pb2.UplinkMessage.FromString(raw)
        merged.rx_metadata.extend(copy.rx_metadata)
        if copy.HasField("received_at") and copy.received_at.ToNanoseconds() < merged.received_at.ToNanoseconds():
            merged.received_at.CopyFrom(copy.received_at)
        for cid in copy.correlation_ids:
            if cid not in seen:
                seen.add(cid)
                merged.correlation_ids.append(cid)
    return merged


class UplinkIngress:
    """Frames whose window this replica opened wait in a deadline-ordered list; one flusher takes
    every frame whose window closed and runs them as a batch, so each Redis step of the pipeline
    is one pipelined round trip per batch rather than one per uplink."""

    def __init__(
        self,
        dedup: UplinkDeduplicator,
        data: DataUplinkHandler,
        joins: JoinHandler,
        bus: EventBus | None,
        metrics: NsMetrics,
        *,
        window_ms: int,
        cooldown_ms: int,
        concurrency: int = 48,
        max_batch: int = 256,
        max_batches: int = 4,
        gather_ms: int = 20,
        rejoins: RejoinHandler | None = None,
        recover_interval: float = 1.0,
    ) -> None:
        self._dedup = dedup
        self._data = data
        self._joins = joins
        self._rejoins = rejoins
        self._bus = bus
        self._metrics = metrics
        self._window_ms = window_ms
        self._cooldown_ms = cooldown_ms
        self._max_batch = max_batch
        self._gather = gather_ms / 1000
        self._recover_interval = recover_interval
        self._resumed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # Bounds the Redis connections held at once: the pool refuses, rather than queues, past its size.
        self._slots = asyncio.Semaphore(concurrency)
        self._batches = asyncio.Semaphore(max_batches)
        self._due: deque[tuple[float, bytes, PHYPayload]] = deque()
        self._wakeup = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def receive(self, uplink: messages_pb2.UplinkMessage) -> None:
        """Check, decode and deduplicate one received copy; processing continues in the background."""
        if not self._resumed.is_set():
            await self._resumed.wait()
        if uplink.HasField("crc_status") and not uplink.crc_status.value:
            await drop(self._bus, self._metrics, uplink, "crc_failed", [])
            return
        try:
            phy = decode_phy_payload(uplink.raw_payload)
        except (DecodeError, ValueError):
            await drop(self._bus, self._metrics, uplink, "malformed", [])
            return
        accepted = (
            (*_DATA_UP, MType.JOIN_REQUEST, MType.REJOIN_REQUEST) if self._rejoins else (*_DATA_UP, MType.JOIN_REQUEST)
        )
        if phy.mhdr.mtype not in accepted:
            await drop(self._bus, self._metrics, uplink, "unsupported_message_type", [])
            return
        now = datetime.now(UTC)
        if uplink.HasField("received_at"):
            hop = (now - uplink.received_at.ToDatetime(UTC)).total_seconds()
            self._metrics.hop_latency.labels(hop="gs_to_ns").observe(max(0.0, hop))
        else:
            uplink.received_at.CopyFrom(timestamp(now))
        async with self._slots:
            outcome = await self._dedup.add(
                uplink.raw_payload, uplink.SerializeToString(), self._window_ms, self._cooldown_ms
            )
        if outcome == "duplicate":
            self._metrics.uplinks.labels(outcome="duplicate").inc()
            return
        if outcome == "late":
            await drop(self._bus, self._metrics, uplink, "late_duplicate", [])
            return
        loop = asyncio.get_running_loop()
        self._due.append((loop.time() + self._window_ms / 1000, uplink.raw_payload, phy))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        self._wakeup.set()

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._due:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            delay = self._gather_until() - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            now = loop.time()
            batch: list[tuple[bytes, PHYPayload]] = []
            while self._due and self._due[0][0] <= now and len(batch) < self._max_batch:
                _, raw, phy = self._due.popleft()
                batch.append((raw, phy))
            await self._batches.acquire()
            task = asyncio.create_task(self._run_batch(batch))
            self._tasks.add(task)
            task.add_done_callback(self._batch_done)

    def _gather_until(self) -> float:
        """When the next batch starts. The window is the same for every frame, so the list is in deadline
        order; the batch waits, up to the gather span past the first deadline, for the frames already
        known to close within that span. Under load they fill the span and share one round trip per step;
        a frame with nobody close behind it goes as soon as its window closes."""
        horizon = self._due[0][0] + self._gather
        last = self._due[0][0]
        for deadline, _, _ in self._due:
            if deadline > horizon:
                break
            last = deadline
        return last

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._batches.release()

    async def _run_batch(self, batch: list[tuple[bytes, PHYPayload]]) -> None:
        started = time.perf_counter()
        try:
            all_copies = await self._dedup.collect_many([raw for raw, _ in batch])
        except asyncio.CancelledError:
            raise
        except Exception:
            # The frames stay in the due set: a replica takes them over when their lease ends.
            log.exception("uplink windows not collected", size=len(batch))
            return
        await self._handle([(raw, phy, copies) for (raw, phy), copies in zip(batch, all_copies, strict=True) if copies])
        self._metrics.hop_latency.labels(hop="ns_after_dedup").observe(time.perf_counter() - started)

    async def resume(self) -> None:
        """Before taking new uplinks, finish those this replica was killed with, so that a device's next
        frame, retried by the GS meanwhile, does not overtake (and turn into a replay) its last one."""
        try:
            while taken := await self._dedup.take_own(self._max_batch):
                await self._handle_taken(taken, "finishing the uplinks of this replica's previous run")
        except Exception:
            log.warning("the uplinks of this replica's previous run were not looked for", exc_info=True)
        finally:
            self._resumed.set()

    async def recover(self) -> None:
        """Take over, now and then, the frames of replicas that died before they were done with them."""
        while True:
            await asyncio.sleep(self._recover_interval)
            try:
                taken = await self._dedup.take_overdue(self._max_batch)
            except Exception:
                log.warning("looking for unfinished uplinks failed", exc_info=True)
                continue
            if taken:
                await self._handle_taken(taken, "taking over unfinished uplinks")

    async def _handle_taken(self, taken: list[list[bytes]], what: str) -> None:
        frames: list[tuple[bytes, PHYPayload, list[bytes]]] = []
        broken: list[bytes] = []
        for copies in taken:
            raw = messages_pb2.UplinkMessage.FromString(copies[0]).raw_payload
            try:
                frames.append((raw, decode_phy_payload(raw), copies))
            except (DecodeError, ValueError):
                broken.append(raw)
        log.info(what, count=len(frames))
        self._metrics.uplinks_recovered.inc(len(frames))
        await self._done(broken)
        await self._handle(frames)

    async def _handle(self, frames: list[tuple[bytes, PHYPayload, list[bytes]]]) -> None:
        """Run the join and data pipelines on merged frames, then release them. A frame that failed is
        released too (taking it again would fail the same way); one whose taker died is not."""
        try:
            data: list[tuple[messages_pb2.UplinkMessage, PHYPayload]] = []
            for _raw, phy, copies in frames:
                merged = merge_copies(copies)
                merged.correlation_ids.append(f"ns:uplink:{uuid.uuid4().hex}")
                self._metrics.dedup_size.observe(len(merged.rx_metadata))
                if isinstance(phy.payload, JoinRequestPayload):
                    await self._joins.handle(merged, phy)
                elif isinstance(phy.payload, RejoinRequest02Payload | RejoinRequest1Payload) and self._rejoins:
                    await self._rejoins.handle(merged, phy)
                elif isinstance(phy.payload, MACPayload):
                    data.append((merged, phy))
            if data:
                await self._data.handle_batch(data)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("uplink batch failed", size=len(frames))
        await self._done([raw for raw, _, _ in frames])

    async def _done(self, raws: list[bytes]) -> None:
        try:
            await self._dedup.done_many(raws)
        except Exception:
            # Not fatal: the frames come back when their lease ends, and are dropped as replays then.
            log.warning("handled uplinks not released", size=len(raws), exc_info=True)

    async def close(self) -> None:
        """Let in-flight uplinks finish (they hold the only copy of their frame's receptions)."""
        if self._due:
            await asyncio.sleep(max(0.0, self._due[-1][0] - asyncio.get_running_loop().time()) + 0.05)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._flusher is not None:
            self._flusher.cancel()
