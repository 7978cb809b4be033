"""A filtered event subscription: ephemeral JetStream push consumers, one per filter subject.

NATS 2.9 has no multi-filter consumers, so each filter gets its own consumer and inbox;
all feed one queue, and an event that reached several of them is passed on once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api

from ttn.lorawan.v3 import events_pb2

from .event import DecodeError, decode
from .metrics import EventMetrics
from .subjects import SubjectScheme, compile_name_patterns

__all__ = ["EventSubscription"]

_log = structlog.get_logger(__name__)

# Copies of one event arrive close together, so a short memory of IDs suffices.
_SEEN_CAPACITY = 8192
# Lets the server drop a consumer whose subscriber vanished without cleaning up.
_INACTIVE_THRESHOLD_SECONDS = 60.0
# Beyond this backlog the NATS client's own pending limit takes over and drops.
_QUEUE_SIZE = 1024


class EventSubscription:
    """Async iterator of ``ttn.lorawan.v3.Event``; also an async context manager."""

    def __init__(
        self,
        nc: Client,
        *,
        stream: str,
        scheme: SubjectScheme,
        filters: Sequence[str],
        names: Sequence[str],
        tail: int | None,
        after: datetime | None,
        metrics: EventMetrics,
    ) -> None:
        if tail is not None and tail < 0:
            raise ValueError("tail must not be negative")
        self._nc = nc
        self._stream = stream
        self._scheme = scheme
        self.filters = tuple(filters)
        self._accepts = compile_name_patterns(names)
        self._tail = tail
        self._after = after
        self._metrics = metrics
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._subs: list[Subscription] = []
        self._consumers: list[str] = []
        self._queue: asyncio.Queue[Msg | None] = asyncio.Queue(_QUEUE_SIZE)
        self._started = False
        self._closed = False
        self._start_lock = asyncio.Lock()

    async def start(self) -> None:
        """Create the consumers; events published after this returns will be delivered."""
        async with self._start_lock:
            if self._started or self._closed:
                return
            self._started = True
            try:
                jsm = self._nc.jsm()
                for subject in self.filters:
                    # An exact subject: the 2.9 server does not see a wildcard
                    # subscription as interest in a push consumer's deliver subject.
                    inbox = self._nc.new_inbox()
                    self._subs.append(await self._nc.subscribe(inbox, cb=self._queue.put))
                    info = await jsm.add_consumer(self._stream, self._config(subject, inbox))
                    assert info.name is not None
                    self._consumers.append(info.name)
            except BaseException:
                await self.aclose()
                raise

    def _config(self, subject: str, inbox: str) -> api.ConsumerConfig:
        policy = api.DeliverPolicy.NEW
        if self._after is not None:
            policy = api.DeliverPolicy.BY_START_TIME
        elif self._tail:
            policy = api.DeliverPolicy.ALL
        return api.ConsumerConfig(
            deliver_subject=inbox,
            deliver_policy=policy,
            opt_start_time=self._after,
            ack_policy=api.AckPolicy.NONE,
            filter_subject=subject,
            replay_policy=api.ReplayPolicy.INSTANT,
            inactive_threshold=_INACTIVE_THRESHOLD_SECONDS,
            mem_storage=True,
            num_replicas=1,
        )

    async def aclose(self) -> None:
        """Unsubscribe and delete the consumers; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        subs, self._subs = self._subs, []
        consumers, self._consumers = self._consumers, []
        for sub in subs:
            try:
                await sub.unsubscribe()
            except Exception as exc:  # the connection may already be gone
                _log.debug("event unsubscribe failed", error=repr(exc))
        for name in consumers:
            try:
                await self._nc.jsm().delete_consumer(self._stream, name)
            except Exception as exc:  # the inactive threshold removes it anyway
                _log.debug("event consumer delete failed", consumer=name, error=repr(exc))
        # Wakes an iterator waiting in another task; a full queue means it is not waiting.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def __aenter__(self) -> EventSubscription:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> events_pb2.Event:
        await self.start()
        while not self._closed:
            msg = await self._queue.get()
            if msg is None:
                break
            event = self._accept(msg)
            if event is not None:
                return event
        raise StopAsyncIteration

    def _accept(self, msg: Msg) -> events_pb2.Event | None:
        if not self._in_tail(msg):
            return None
        try:
            event = decode(msg.data)
        except DecodeError as exc:
            self._metrics.decode_errors.inc()
            _log.warning("undecodable event", subject=msg.subject, error=str(exc))
            return None
        if event.unique_id in self._seen or not self._accepts(event.name):
            return None
        self._seen[event.unique_id] = None
        if len(self._seen) > _SEEN_CAPACITY:
            self._seen.popitem(last=False)
        return event

    def _in_tail(self, msg: Msg) -> bool:
        """With a tail, skip stored events older than the last ``tail`` of their filter."""
        if not self._tail or not msg.reply:
            return True
        return msg.metadata.num_pending < self._tail
