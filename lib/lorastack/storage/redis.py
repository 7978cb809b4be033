"""Redis connections and key naming shared by the Redis-backed services."""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["Keys", "connect"]


def connect(url: str) -> Redis:
    """A connection pool to ``url``; values stay bytes (protobuf), never decoded."""
    return Redis.from_url(url, decode_responses=False, health_check_interval=30)


class Keys:
    """Builds keys under one prefix, e.g. ``Keys("ns").of("device", app, dev)`` -> ``ns:device:app:dev``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip(":")

    def of(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))
