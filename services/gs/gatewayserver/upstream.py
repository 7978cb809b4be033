"""Uplinks on their way to the NS: routing by message type and DevAddr, bounded queues, retries with backoff.

Routing follows LoRaWAN 1.1 section 4.2 (MHDR MType) and 6.1.1 (DevAddr in the FHDR, little-endian).
The receive path only enqueues; workers make the GsNs.HandleUplink calls.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence

import grpc
import structlog

from gatewayserver.observability import Observability
from lorastack.lorawan.devaddr import DevAddr, DevAddrPrefix
from ttn.lorawan.v3 import messages_pb2, networkserver_pb2_grpc

__all__ = ["UplinkForwarder", "order_key", "route"]

log = structlog.get_logger(logger_name="gatewayserver.upstream")

# MType values (LoRaWAN 1.1 section 4.2.1).
_JOIN_REQUEST, _UNCONFIRMED_UP, _CONFIRMED_UP, _REJOIN_REQUEST = 0, 2, 4, 6
_RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)


def route(raw_payload: bytes, prefixes: Sequence[DevAddrPrefix]) -> str | None:
    """None to forward the frame to the NS, or why it is dropped (a bounded metric label)."""
    if not raw_payload:
        return "empty_payload"
    mtype = raw_payload[0] >> 5
    if mtype in (_JOIN_REQUEST, _REJOIN_REQUEST):
        return None
    if mtype not in (_UNCONFIRMED_UP, _CONFIRMED_UP):
        return "not_uplink" if mtype in (1, 3, 5) else "proprietary"
    if len(raw_payload) < 12:
        return "too_short"
    if not prefixes:
        return None
    dev_addr = DevAddr.from_le(raw_payload, 1)
    return None if any(p.matches(dev_addr) for p in prefixes) else "foreign_dev_addr"


def order_key(raw_payload: bytes) -> bytes:
    """The bytes that name a frame's device: frames with the same key reach the NS in the order they came.

    An FCnt below the last one the NS accepted is a replay, so a frame held back by a retry must not be
    overtaken by the device's next one. Data frames: the DevAddr; join-requests: JoinEUI and DevEUI;
    rejoin-requests: their type and the identifiers that follow it (LoRaWAN 1.1 section 6.2.4)."""
    mtype = raw_payload[0] >> 5 if raw_payload else -1
    if mtype == _JOIN_REQUEST:
        return raw_payload[1:17]
    if mtype == _REJOIN_REQUEST:
        return raw_payload[1:13]
    return raw_payload[1:5]


class UplinkForwarder:
    """Queues of UplinkMessages for the NS; ``submit`` never waits, a full forwarder drops and counts.

    GsNs.HandleUplink is unary, so the calls in flight bound the throughput: at a few milliseconds per call
    on a busy host, eight workers left uplinks queued for seconds; the workers are cheap idle tasks. Each
    worker owns one queue and a device's frames always go to the same one (:func:`order_key`), so that
    retries while the NS restarts keep every device's frames in order."""

    def __init__(
        self,
        channel: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], tuple[tuple[str, str], ...]],
        observability: Observability,
        *,
        queue_size: int = 8192,
        workers: int = 64,
        retries: int = 5,
        retry_base: float = 0.1,
    ) -> None:
        self._channel = channel
        self._metadata = metadata
        self._obs = observability
        self._depth = observability.queue_depth.labels("uplink_forward")
        self._capacity = queue_size
        self._waiting = 0
        self._queues: list[asyncio.Queue[tuple[float, messages_pb2.UplinkMessage]]] = [
            asyncio.Queue() for _ in range(workers)
        ]
        self._retries = retries
        self._retry_base = retry_base
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, message: messages_pb2.UplinkMessage) -> bool:
        if self._waiting >= self._capacity:
            self._obs.uplinks_dropped.labels("forward_queue_full").inc()
            return False
        queue = self._queues[hash(order_key(message.raw_payload)) % len(self._queues)]
        queue.put_nowait((time.monotonic(), message))
        self._waiting += 1
        self._depth.set(self._waiting)
        return True

    async def start(self) -> None:
        for index, queue in enumerate(self._queues):
            self._tasks.append(asyncio.create_task(self._work(queue), name=f"gs-uplink-forwarder-{index}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _work(self, queue: asyncio.Queue[tuple[float, messages_pb2.UplinkMessage]]) -> None:
        while True:
            received, message = await queue.get()
            try:
                await self._forward(message)
                self._obs.forward_latency.observe(time.monotonic() - received)
            except Exception:
                log.exception("uplink forwarding failed")
            finally:
                self._waiting -= 1
                self._depth.set(self._waiting)

    async def _forward(self, message: messages_pb2.UplinkMessage) -> None:
        for attempt in range(self._retries + 1):
            channel = self._channel()
            if channel is None:
                self._obs.uplinks_dropped.labels("no_network_server").inc()
                return
            stub = networkserver_pb2_grpc.GsNsStub(channel)
            try:
                await stub.HandleUplink(message, metadata=self._metadata(), timeout=5)
            except grpc.aio.AioRpcError as err:
                if err.code() not in _RETRYABLE or attempt == self._retries:
                    log.debug("network server refused uplink", code=err.code().name, attempt=attempt)
                    self._obs.uplinks_dropped.labels("network_server_error").inc()
                    return
                # Full jitter keeps many replicas from retrying in lock step after an NS restart.
                await asyncio.sleep(random.uniform(0, self._retry_base * (2**attempt)))
                continue
            self._obs.uplinks_forwarded.inc()
            return
