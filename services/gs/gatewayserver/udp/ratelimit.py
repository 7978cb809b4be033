"""A token bucket per source address, so one flooding gateway cannot crowd the shared queue."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, rate: float, *, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def forget_idle(self) -> None:
        """Drop buckets that refilled completely: they hold nothing a new bucket would not."""
        now = self._clock()
        full = [k for k, (tokens, last) in self._buckets.items() if tokens + (now - last) * self._rate >= self._burst]
        for key in full:
            del self._buckets[key]
