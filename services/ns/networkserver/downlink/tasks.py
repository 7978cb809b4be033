"""The downlink task worker: leases due device tasks from the Redis queue (any replica may) and runs
each device's downlink flow, many devices at once; a local poke skips the poll interval when this
replica has just made a task due."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol

import structlog

from networkserver.store import DownlinkTask, DownlinkTaskQueue

__all__ = ["DownlinkFlow", "DownlinkWorker"]

log = structlog.get_logger(logger_name="networkserver.downlink")


class DownlinkFlow(Protocol):
    """``networkserver.downlink.flows.Downlinks``."""

    async def run(self, application_id: str, device_id: str) -> int | None: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


class DownlinkWorker:
    def __init__(
        self,
        tasks: DownlinkTaskQueue,
        flow: DownlinkFlow,
        *,
        poll_ms: int = 50,
        concurrency: int = 32,
        lease_ms: int = 10_000,
    ) -> None:
        self._tasks = tasks
        self._flow = flow
        self._poll = poll_ms / 1000
        self._concurrency = concurrency
        self._lease_ms = lease_ms
        self._poked = asyncio.Event()

    def poke(self) -> None:
        """A task was made due just now: look at once instead of at the next poll."""
        self._poked.set()

    async def wake(self, application_id: str, device_id: str) -> None:
        """Make the device's task due now."""
        await self._tasks.add(application_id, device_id, _now_ms())
        self.poke()

    async def run(self) -> None:
        """Lease and run due tasks until cancelled."""
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                free = self._concurrency - len(running)
                if free <= 0:
                    await asyncio.wait(set(running), return_when=asyncio.FIRST_COMPLETED)
                    continue
                self._poked.clear()
                try:
                    due = await self._tasks.pop_due(_now_ms(), min(free, 32), self._lease_ms)
                except Exception:
                    log.exception("downlink tasks could not be read; trying again")
                    await asyncio.sleep(1)
                    continue
                for task in due:
                    job = asyncio.create_task(self._run_one(task))
                    running.add(job)
                    job.add_done_callback(running.discard)
                if not due:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._poked.wait(), self._poll)
        finally:
            for job in running:
                job.cancel()
            if running:
                await asyncio.wait(set(running), timeout=2)

    async def _run_one(self, task: DownlinkTask) -> None:
        next_ms: int | None = None
        try:
            next_ms = await self._flow.run(task.application_id, task.device_id)
        except Exception:
            log.exception("downlink task failed", application_id=task.application_id, device_id=task.device_id)
            next_ms = _now_ms() + self._lease_ms
        finally:
            # A task that is not finished here comes back when its lease runs out.
            with contextlib.suppress(Exception):
                await self._tasks.finish(task, _now_ms(), next_ms)
