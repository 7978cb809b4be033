"""DurableConsumer hands on what queued up for one application at once, in order, and acknowledges the
batch after delivery; a batch whose delivery fails stays unacknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from applicationserver.distribution import DurableConsumer
from integration.applicationserver.helpers import wait_until
from ttn.lorawan.v3 import messages_pb2

Entry = tuple[str, str, messages_pb2.ApplicationUp]


def _up(f_cnt: int) -> messages_pb2.ApplicationUp:
    up = messages_pb2.ApplicationUp()
    up.uplink_message.f_cnt = f_cnt
    return up


class _Stream:
    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries
        self.acked: list[list[str]] = []

    async def ensure_group(self, group: str) -> None:
        return None

    async def read_group(self, group: str, consumer: str, *, pending: bool, count: int, block_ms: int) -> list[Entry]:
        if pending:
            return []
        out, self._entries = self._entries[:count], self._entries[count:]
        if not out:
            await asyncio.sleep(block_ms / 1000)
        return out

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        self.acked.append(list(entry_ids))


async def test_batches_per_application_in_order_acknowledged_after_delivery() -> None:
    entries = [(f"{i}-0", "app1" if i % 3 else "app2", _up(i)) for i in range(1, 10)]
    stream = _Stream(entries)
    delivered: list[tuple[str, list[int]]] = []

    async def deliver(app_key: str, ups: Sequence[messages_pb2.ApplicationUp]) -> None:
        f_cnts = [up.uplink_message.f_cnt for up in ups]
        delivered.append((app_key, f_cnts))
        if 9 in f_cnts:
            raise ConnectionError("the integration is away")

    consumer = DurableConsumer(stream, group="g", consumer="c", deliver=deliver, block_ms=20)  # type: ignore[arg-type]
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: sum(len(f) for _, f in delivered) == 9 and len(stream.acked) == 1, 5)
        await asyncio.sleep(0.05)  # nothing more is acknowledged
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # Everything was read before the workers ran: one batch per application, the failed one not acknowledged.
    assert delivered == [("app1", [1, 2, 4, 5, 7, 8]), ("app2", [3, 6, 9])]
    assert stream.acked == [["1-0", "2-0", "4-0", "5-0", "7-0", "8-0"]]
