"""The time-ordered downlink task queue: a sorted set of devices scored by when their next downlink
must be considered. Popping leases a task to one replica (a lock key and a later score), so no two
replicas work on one device at once and a replica that dies mid-task only delays it by the lease."""

from __future__ import annotations

from redis.asyncio import Redis

from lorastack.storage.redis import Keys
from networkserver.store import DownlinkTask

__all__ = ["RedisDownlinkTaskQueue", "downlink_tasks_key", "task_member"]

# KEYS[1] the task set; ARGV: now, count, lease ms, lock-key prefix. A due task whose device is
# leased to another replica is marked (lease + 1) so that replica runs it again when it finishes.
_POP = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local lease = tonumber(ARGV[1]) + tonumber(ARGV[3])
local out = {}
for _, m in ipairs(due) do
  local lock = ARGV[4] .. m
  if redis.call('SET', lock, lease, 'NX', 'PX', ARGV[3]) then
    redis.call('ZADD', KEYS[1], lease, m)
    out[#out + 1] = m
    out[#out + 1] = lease
  else
    redis.call('ZADD', KEYS[1], tonumber(redis.call('GET', lock) or lease) + 1, m)
  end
end
return out
"""

# KEYS[1] the task set, KEYS[2] the lock; ARGV: member, lease, now, next time ('' none). Untouched
# since the pop: due next time or done. Woken while leased: due at once. Otherwise woken for a later
# time: the earlier of that and the next time.
_FINISH = """
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or -1)
local lease = tonumber(ARGV[2])
if score == lease + 1 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
elseif score == lease then
  if ARGV[4] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1]) end
elseif ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[1], 'LT', ARGV[4], ARGV[1])
end
return 1
"""


def downlink_tasks_key(keys: Keys) -> str:
    """The sorted set of tasks (the device registry adds to it in the same script as an uplink's write)."""
    return keys.of("downlink-tasks")


def task_member(application_id: str, device_id: str) -> str:
    return f"{application_id}:{device_id}"


class RedisDownlinkTaskQueue:
    """Implements ``networkserver.store.DownlinkTaskQueue``."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = downlink_tasks_key(keys)
        self._lock_prefix = f"{self._key}:lock:"
        self._pop = redis.register_script(_POP)
        self._finish = redis.register_script(_FINISH)

    async def add(self, application_id: str, device_id: str, at_ms: int) -> None:
        # LT keeps the earliest time when a task is already waiting.
        await self._redis.zadd(self._key, {task_member(application_id, device_id): at_ms}, lt=True)

    async def pop_due(self, now_ms: int, count: int, lease_ms: int) -> list[DownlinkTask]:
        raw = await self._pop(keys=[self._key], args=[now_ms, count, lease_ms, self._lock_prefix])
        out: list[DownlinkTask] = []
        for i in range(0, len(raw), 2):
            member = raw[i].decode() if isinstance(raw[i], bytes) else raw[i]
            app_id, _, dev_id = member.partition(":")
            out.append(DownlinkTask(app_id, dev_id, int(raw[i + 1])))
        return out

    async def finish(self, task: DownlinkTask, now_ms: int, next_ms: int | None = None) -> None:
        member = task_member(task.application_id, task.device_id)
        args: list[str | int] = [member, task.lease, now_ms, "" if next_ms is None else next_ms]
        await self._finish(keys=[self._key, self._lock_prefix + member], args=args)

    def _failures_key(self, application_id: str, device_id: str) -> str:
        return f"{self._key}:failures:{application_id}:{device_id}"

    async def note_failure(self, application_id: str, device_id: str) -> int:
        key = self._failures_key(application_id, device_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 3600)
            count, _ = await pipe.execute()
        return int(count)

    async def clear_failures(self, application_id: str, device_id: str) -> None:
        await self._redis.delete(self._failures_key(application_id, device_id))
