"""Redis connections and key naming shared by the Redis-backed services."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

__all__ = ["Keys", "connect"]


def connect(url: str, *, max_connections: int = 100) -> Redis:
    """A connection pool to ``url``; values stay bytes (protobuf), never decoded.

    When every connection is busy a caller waits (up to 5 s) for one instead of failing at once.
    """
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, decode_responses=False, health_check_interval=30
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it too


class Keys:
    """Builds keys under one prefix, e.g. ``Keys("ns").of("device", app, dev)`` -> ``ns:device:app:dev``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip(":")

    def of(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))
