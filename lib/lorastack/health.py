"""Liveness and readiness: ``/healthz/live`` answers while the loop runs,
``/healthz/ready`` only when every dependency check of the process passes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["HealthChecks"]

Check = Callable[[], Awaitable[object]]


@dataclass
class HealthChecks:
    """Named async checks; each must finish within ``timeout`` seconds without raising."""

    timeout: float = 2.0
    checks: dict[str, Check] = field(default_factory=dict)
    stopping: bool = False

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def _run(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout)
        except Exception as err:  # any failure means not ready
            return f"{type(err).__name__}: {err}"[:200] or type(err).__name__
        return "ok"

    async def ready(self) -> tuple[bool, dict[str, str]]:
        """Whether the process is ready, and each check's result."""
        if self.stopping:
            return False, {"process": "stopping"}
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        report = dict(zip(names, results, strict=True))
        return all(r == "ok" for r in results), report
