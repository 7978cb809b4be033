"""lorastack.storage.coalesce: calls of one loop turn share a batch; results and errors go to each caller."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from lorastack.storage.coalesce import Coalescer


async def test_calls_of_one_turn_share_a_batch_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def double(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return [2 * i for i in items]

    coalesce: Coalescer[int, int] = Coalescer(double, max_batch=3, max_in_flight=1)
    results = await asyncio.gather(*(coalesce(i) for i in range(7)))
    assert results == [2 * i for i in range(7)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_runs() -> None:
    calls = 0

    async def flaky(items: Sequence[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis went away")
        return [item.upper() for item in items]

    coalesce: Coalescer[str, str] = Coalescer(flaky)
    outcomes = await asyncio.gather(coalesce("a"), coalesce("b"), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert await coalesce("c") == "C"


async def test_a_cancelled_caller_leaves_the_others_alone() -> None:
    release = asyncio.Event()

    async def slow(items: Sequence[int]) -> list[int]:
        await release.wait()
        return list(items)

    coalesce: Coalescer[int, int] = Coalescer(slow)
    first, second = asyncio.create_task(coalesce(1)), asyncio.create_task(coalesce(2))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 2
    with pytest.raises(asyncio.CancelledError):
        await first
