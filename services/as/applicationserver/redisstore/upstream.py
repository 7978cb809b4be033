"""The uplink log: a Redis stream of processed ApplicationUp messages (design.md section 4).

Each entry names its application key (``app@tenant`` outside the default tenant) beside the message.
Durable integrations read it through consumer groups, so a restarted replica first takes back
the entries it had read but not acknowledged; live ones (MQTT clients, AppAs.Subscribe) tail it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import messages_pb2

__all__ = ["RedisUpStream"]

Entry = tuple[str, str, messages_pb2.ApplicationUp]


def _decode(entries: Any) -> list[Entry]:
    out: list[Entry] = []
    for raw_id, fields in entries:
        entry_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
        if not fields:
            continue  # trimmed away while pending: nothing left to deliver
        up = messages_pb2.ApplicationUp.FromString(fields[b"up"])
        key = fields.get(b"app")
        out.append((entry_id, key.decode() if key else up.end_device_ids.application_ids.application_id, up))
    return out


class RedisUpStream:
    def __init__(self, redis: Redis, keys: Keys, *, max_length: int = 1_000_000) -> None:
        self._r: Any = redis  # redis-py types every reply as bytes | str; ours are bytes
        self.key = keys.of("up")
        self._max_length = max_length

    async def append(self, app_key: str, ups: Sequence[messages_pb2.ApplicationUp]) -> list[str]:
        async with self._r.pipeline(transaction=False) as pipe:
            for up in ups:
                fields = {"app": app_key, "up": up.SerializeToString()}
                pipe.xadd(self.key, fields, maxlen=self._max_length, approximate=True)
            ids = await pipe.execute()
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    async def ensure_group(self, group: str) -> None:
        try:
            # "0": a new group starts at the beginning of what the stream still holds.
            await self._r.xgroup_create(self.key, group, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def read_group(self, group: str, consumer: str, *, pending: bool, count: int, block_ms: int) -> list[Entry]:
        start = "0" if pending else ">"
        answer = await self._r.xreadgroup(
            group, consumer, {self.key: start}, count=count, block=None if pending else block_ms
        )
        return [e for _stream, entries in answer or [] for e in _decode(entries)]

    async def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            await self._r.xack(self.key, group, *entry_ids)

    async def read_after(self, last_id: str, *, count: int, block_ms: int) -> list[Entry]:
        answer = await self._r.xread({self.key: last_id}, count=count, block=block_ms)
        return [e for _stream, entries in answer or [] for e in _decode(entries)]

    async def last_id(self) -> str:
        info = await self._r.xinfo_stream(self.key) if await self._r.exists(self.key) else None
        if not info:
            return "0-0"
        raw = info.get("last-generated-id") or info.get(b"last-generated-id") or b"0-0"
        return raw.decode() if isinstance(raw, bytes) else str(raw)
