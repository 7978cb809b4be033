"""Uplink deduplication across NS replicas in Redis: the first replica to see a frame opens a
window and collects the copies the others append; copies after the window are late. A frame stays
leased until its taker is done with it, so a replica killed in the middle loses no uplink."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from typing import cast

from redis.asyncio import Redis

from lorastack.storage.coalesce import Coalescer
from lorastack.storage.redis import Keys
from networkserver.redisstore.scripts import evalsha_many
from networkserver.store import DedupOutcome

__all__ = ["RedisUplinkDeduplicator"]

# Every window is also a member ``<owner>|<digest>`` of a due set, scored with the time (ms) by which its
# frame must have been handled: the window plus a lease while it is open, a lease once taken. Taking a
# frame makes the taker its owner. A replica that dies leaves its frames there: it takes them back when it
# starts again, and any other replica takes them once they are due.

# KEYS[1] window state, KEYS[2] list of copies, KEYS[3] due set. ARGV[1] copy, ARGV[2] lifetime (ms) of
# the state, ARGV[3] due-set member, ARGV[4] due time (ms), ARGV[5] lifetime (ms) of the copies.
_ADD = """
if redis.call('SET', KEYS[1], 'open', 'NX', 'PX', ARGV[2]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
  return 1
end
if redis.call('GET', KEYS[1]) == 'open' then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 0
end
return 2
"""

# Taking a frame: closing flips the state so late copies are told apart; the copies stay until the taker
# is done, so a taker that dies hands the frame on too. A member that is gone was taken by someone else.
# KEYS as for _ADD. ARGV[1] member, ARGV[2] now (ms), ARGV[3] new due time (ms), ARGV[4] '1' to take the
# frame only when it is due, ARGV[5] the taker's member.
_TAKE = """
local due = redis.call('ZSCORE', KEYS[3], ARGV[1])
if not due or (ARGV[4] == '1' and tonumber(due) > tonumber(ARGV[2])) then
  return {}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[1], 'closed', 'KEEPTTL')
end
local copies = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('ZREM', KEYS[3], ARGV[1])
if #copies > 0 then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
end
return copies
"""

_OUTCOMES: dict[int, DedupOutcome] = {1: "first", 0: "duplicate", 2: "late"}
# Copies of a frame nobody finished outlive the lease by this much, for a cluster that was down a while.
_ORPHAN_KEEP_MS = 600_000


def _now_ms() -> int:
    return int(time.time() * 1000)


class RedisUplinkDeduplicator:
    """Implements ``networkserver.store.UplinkDeduplicator``; frames are keyed by a hash of their bytes.

    ``owner`` names the replica, and must stay the same when it restarts for :meth:`take_own` to find
    what it left."""

    def __init__(self, redis: Redis, keys: Keys, *, owner: str, lease_ms: int = 10_000) -> None:
        if "|" in owner:
            raise ValueError(f"a replica name has no '|': {owner!r}")
        self._redis = redis
        self._keys = keys
        self._owner = owner
        self._lease_ms = lease_ms
        self._due = keys.of("dedup", "due")
        self._add = redis.register_script(_ADD)
        self._take = redis.register_script(_TAKE)
        # Copies arrive one per GsNs call; the calls of one loop turn share a pipelined round trip.
        self._adds: Coalescer[tuple[list[str], list[bytes | str | int]], int] = Coalescer(self._add_many)

    def _mine(self, frame_key: bytes) -> str:
        return f"{self._owner}|{hashlib.blake2b(frame_key, digest_size=16).hexdigest()}"

    def _keys_of(self, member: str) -> list[str]:
        digest = member.rpartition("|")[2]
        return [self._keys.of("dedup", digest), self._keys.of("dedup", digest, "copies"), self._due]

    async def add(self, frame_key: bytes, copy: bytes, window_ms: int, cooldown_ms: int) -> DedupOutcome:
        member = self._mine(frame_key)
        due = _now_ms() + window_ms + self._lease_ms
        args: list[bytes | str | int] = [
            copy, max(1, window_ms + cooldown_ms), member, due, window_ms + self._lease_ms + _ORPHAN_KEEP_MS
        ]  # fmt: skip
        return _OUTCOMES[await self._adds((self._keys_of(member), args))]

    async def _add_many(self, calls: Sequence[tuple[list[str], list[bytes | str | int]]]) -> list[int]:
        return [int(r) for r in await evalsha_many(self._redis, self._add, calls)]

    async def collect_many(self, frame_keys: Sequence[bytes]) -> list[list[bytes]]:
        return await self._take_many([self._mine(k) for k in frame_keys], only_due=False)

    async def take_overdue(self, limit: int) -> list[list[bytes]]:
        members = await self._redis.zrangebyscore(self._due, "-inf", _now_ms(), start=0, num=limit)
        return await self._taken(members, only_due=True)

    async def take_own(self, limit: int) -> list[list[bytes]]:
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self._owner) + "|*"
        members = []
        async for member, _score in self._redis.zscan_iter(self._due, match=pattern, count=1000):
            members.append(member)
            if len(members) == limit:
                break
        return await self._taken(members, only_due=False)

    async def _taken(self, members: Sequence[object], *, only_due: bool) -> list[list[bytes]]:
        taken = await self._take_many([bytes(cast(bytes, m)).decode() for m in members], only_due=only_due)
        return [copies for copies in taken if copies]

    async def _take_many(self, members: Sequence[str], *, only_due: bool) -> list[list[bytes]]:
        now = _now_ms()
        flag = "1" if only_due else "0"
        calls: list[tuple[list[str], list[bytes | str | int]]] = [
            (self._keys_of(m), [m, now, now + self._lease_ms, flag, f"{self._owner}|{m.rpartition('|')[2]}"])
            for m in members
        ]
        answers = await evalsha_many(self._redis, self._take, calls)
        return [[bytes(c) for c in copies] for copies in answers]

    async def done_many(self, frame_keys: Sequence[bytes]) -> None:
        if not frame_keys:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for frame_key in frame_keys:
                member = self._mine(frame_key)
                pipe.zrem(self._due, member)
                pipe.delete(self._keys_of(member)[1])
            await pipe.execute()
