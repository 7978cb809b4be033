"""Uplink deduplication across NS replicas in Redis: the first replica to see a frame opens a
window and collects the copies the others append; copies after the window are late."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from redis.asyncio import Redis

from lorastack.storage.coalesce import Coalescer
from lorastack.storage.redis import Keys
from networkserver.redisstore.scripts import evalsha_many
from networkserver.store import DedupOutcome

__all__ = ["RedisUplinkDeduplicator"]

# KEYS[1] window state, KEYS[2] list of copies. ARGV[1] copy, ARGV[2] lifetime (ms) of both keys.
_ADD = """
if redis.call('SET', KEYS[1], 'open', 'NX', 'PX', ARGV[2]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
if redis.call('GET', KEYS[1]) == 'open' then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 0
end
return 2
"""

# Closing flips the state so late copies are told apart, and takes the copies in the same step.
_COLLECT = """
redis.call('SET', KEYS[1], 'closed', 'KEEPTTL')
local copies = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return copies
"""

_OUTCOMES: dict[int, DedupOutcome] = {1: "first", 0: "duplicate", 2: "late"}


class RedisUplinkDeduplicator:
    """Implements ``networkserver.store.UplinkDeduplicator``; frames are keyed by a hash of their bytes."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._add = redis.register_script(_ADD)
        self._collect = redis.register_script(_COLLECT)
        # Copies arrive one per GsNs call; the calls of one loop turn share a pipelined round trip.
        self._adds: Coalescer[tuple[list[str], list[bytes | str | int]], int] = Coalescer(self._add_many)

    def _key_pair(self, frame_key: bytes) -> list[str]:
        digest = hashlib.blake2b(frame_key, digest_size=16).hexdigest()
        return [self._keys.of("dedup", digest), self._keys.of("dedup", digest, "copies")]

    async def add(self, frame_key: bytes, copy: bytes, window_ms: int, cooldown_ms: int) -> DedupOutcome:
        lifetime = max(1, window_ms + cooldown_ms)
        result = await self._adds((self._key_pair(frame_key), [copy, lifetime]))
        return _OUTCOMES[result]

    async def _add_many(self, calls: Sequence[tuple[list[str], list[bytes | str | int]]]) -> list[int]:
        return [int(r) for r in await evalsha_many(self._redis, self._add, calls)]

    async def collect(self, frame_key: bytes) -> list[bytes]:
        copies = await self._collect(keys=self._key_pair(frame_key))
        return [bytes(c) for c in copies]

    async def collect_many(self, frame_keys: Sequence[bytes]) -> list[list[bytes]]:
        answers = await evalsha_many(self._redis, self._collect, [(self._key_pair(k), []) for k in frame_keys])
        return [[bytes(c) for c in copies] for copies in answers]
