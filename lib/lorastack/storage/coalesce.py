"""Coalescing of single calls into batched ones: callers that arrive in the same event-loop turn, or
while the batches in flight are still running, share one batched call (one pipelined Redis round
trip instead of one each). Each caller gets its own result, or the batch's exception."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(
        self, run: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, max_batch: int = 256, max_in_flight: int = 2
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._soon = False

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if not self._soon:
            # Wait for the rest of this loop turn: requests that arrived together go together.
            self._soon = True
            loop.call_soon(self._turn_over)
        return await future

    def _turn_over(self) -> None:
        self._soon = False
        self._start()

    def _start(self) -> None:
        while self._waiting and len(self._in_flight) < self._max_in_flight:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            task = asyncio.create_task(self._batch(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._start()

    async def _batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run([item for item, _ in batch])
        except BaseException as err:
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(err, Exception):
                    future.set_exception(err)
                else:
                    future.cancel()
            if not isinstance(err, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
