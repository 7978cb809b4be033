"""Devices in Redis: one hash per device (serialized EndDevice, version, indexed addresses), one set per
DevAddr and one per DevEUI (rejoin-requests of types 0 and 2 name no JoinEUI), changed together by one
Lua script so the indexes never disagree with the record."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from lorastack.storage.redis import Keys
from networkserver.redisstore.scripts import evalsha_many
from networkserver.redisstore.tasks import downlink_tasks_key, task_member
from networkserver.store import ANY_VERSION, DeviceWrite, StoreConflictError, StoredDevice
from ttn.lorawan.v3 import end_device_pb2, messages_pb2

__all__ = ["RedisDeviceRegistry", "session_addresses"]

# KEYS[1] device hash, KEYS[2] application uplink stream, KEYS[3] downlink task set.
# ARGV: expected version ('' absent, '*' any), data ('' deletes), address-key prefix, index member,
# new addresses (comma separated), EUI-key prefix, new JoinEUI:DevEUI ('' none), stream max length,
# downlink task time ('' none), then the ApplicationUp payloads. The DevEUI set sits at the EUI-key
# prefix .. 'dev:' .. DevEUI, which no JoinEUI:DevEUI key can equal (those start with 16 hex digits).
_PUT = """
local cur = redis.call('HMGET', KEYS[1], 'v', 'a', 'e')
local expected = ARGV[1]
if expected == '' then
  if cur[1] then return -1 end
elseif expected ~= '*' then
  if cur[1] ~= expected then return -1 end
end
if cur[2] then
  for addr in string.gmatch(cur[2], '[^,]+') do redis.call('SREM', ARGV[3] .. addr, ARGV[4]) end
end
if cur[3] and cur[3] ~= '' and cur[3] ~= ARGV[7] then
  redis.call('DEL', ARGV[6] .. cur[3])
  redis.call('SREM', ARGV[6] .. 'dev:' .. string.sub(cur[3], 18), ARGV[4])
end
if ARGV[2] == '' then
  redis.call('ZREM', KEYS[3], ARGV[4])
  if cur[1] then redis.call('DEL', KEYS[1]) return 0 end
  return -2
end
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'a', ARGV[5], 'e', ARGV[7])
for addr in string.gmatch(ARGV[5], '[^,]+') do redis.call('SADD', ARGV[3] .. addr, ARGV[4]) end
if ARGV[7] ~= '' then
  redis.call('SET', ARGV[6] .. ARGV[7], ARGV[4])
  redis.call('SADD', ARGV[6] .. 'dev:' .. string.sub(ARGV[7], 18), ARGV[4])
end
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[3], 'LT', ARGV[9], ARGV[4]) end
for i = 10, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'u', ARGV[i])
end
return v
"""

# KEYS[1] the DevAddr set; ARGV[1] device key prefix. Returns member, version, data triples.
_BY_ADDR = """
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local r = redis.call('HMGET', ARGV[1] .. m, 'v', 'd')
  if r[1] then
    out[#out + 1] = m
    out[#out + 1] = r[1]
    out[#out + 1] = r[2]
  end
end
return out
"""


def session_addresses(device: end_device_pb2.EndDevice) -> list[str]:
    """The DevAddrs (upper-case hex) under which uplinks of ``device`` must be found."""
    found: list[str] = []
    for session in (device.session, device.pending_session):
        if len(session.dev_addr) == 4:
            text = session.dev_addr.hex().upper()
            if text not in found:
                found.append(text)
    return found


def _eui_text(device: end_device_pb2.EndDevice) -> str:
    ids = device.ids
    if not device.supports_join or len(ids.dev_eui) != 8:
        return ""
    return f"{ids.join_eui.hex().upper()}:{ids.dev_eui.hex().upper()}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisDeviceRegistry:
    """Implements ``networkserver.store.DeviceRegistry``."""

    def __init__(self, redis: Redis, keys: Keys, *, stream_max_length: int = 100_000) -> None:
        self._redis = redis
        self._keys = keys
        self._device_prefix = keys.of("dev", "")
        self._addr_prefix = keys.of("addr", "")
        self._eui_prefix = keys.of("eui", "")
        self._max_length = stream_max_length
        self._tasks_key = downlink_tasks_key(keys)
        self._put = redis.register_script(_PUT)
        self._by_addr = redis.register_script(_BY_ADDR)

    def device_key(self, application_id: str, device_id: str) -> str:
        return f"{self._device_prefix}{application_id}:{device_id}"

    def stream_key(self, application_id: str) -> str:
        return self._keys.of("up", application_id)

    async def get(self, application_id: str, device_id: str) -> StoredDevice | None:
        version, data = await self._redis.hmget(self.device_key(application_id, device_id), ["v", "d"])
        if version is None:
            return None
        device = end_device_pb2.EndDevice.FromString(data if isinstance(data, bytes) else b"")
        return StoredDevice(application_id, device_id, _text(version), device)

    async def by_euis(self, join_eui: bytes, dev_eui: bytes) -> StoredDevice | None:
        member = await self._redis.get(f"{self._eui_prefix}{join_eui.hex().upper()}:{dev_eui.hex().upper()}")
        if member is None:
            return None
        app_id, _, dev_id = _text(member).partition(":")
        return await self.get(app_id, dev_id)

    async def by_dev_eui(self, dev_eui: bytes) -> list[StoredDevice]:
        # The DevEUI set has the DevAddr sets' shape, so the same script reads it.
        key = f"{self._eui_prefix}dev:{dev_eui.hex().upper()}"
        return self._decode_candidates(await self._by_addr(keys=[key], args=[self._device_prefix]))

    async def by_dev_addr(self, dev_addr: bytes) -> list[StoredDevice]:
        raw = await self._by_addr(keys=[f"{self._addr_prefix}{dev_addr.hex().upper()}"], args=[self._device_prefix])
        return self._decode_candidates(raw)

    async def by_dev_addrs(self, dev_addrs: Sequence[bytes]) -> list[list[StoredDevice]]:
        calls = [([f"{self._addr_prefix}{a.hex().upper()}"], [self._device_prefix]) for a in dev_addrs]
        answers = await evalsha_many(self._redis, self._by_addr, calls)
        return [self._decode_candidates(raw) for raw in answers]

    @staticmethod
    def _decode_candidates(raw: Sequence[bytes]) -> list[StoredDevice]:
        found: list[StoredDevice] = []
        for i in range(0, len(raw), 3):
            app_id, _, dev_id = _text(raw[i]).partition(":")
            device = end_device_pb2.EndDevice.FromString(raw[i + 2])
            found.append(StoredDevice(app_id, dev_id, _text(raw[i + 1]), device))
        return found

    async def put(
        self,
        application_id: str,
        device_id: str,
        device: end_device_pb2.EndDevice,
        expected_version: str,
        application_ups: Sequence[messages_pb2.ApplicationUp] = (),
        *,
        downlink_at_ms: int | None = None,
    ) -> str:
        keys, args = self._put_call(
            application_id, device_id, device, expected_version, application_ups, downlink_at_ms
        )
        result = int(await self._put(keys=keys, args=args))
        if result < 0:
            raise StoreConflictError(f"{application_id}/{device_id}")
        return str(result)

    async def put_many(self, writes: Sequence[DeviceWrite]) -> list[str | None]:
        calls = [
            self._put_call(
                w.application_id, w.device_id, w.device, w.expected_version, w.application_ups, w.downlink_at_ms
            )
            for w in writes
        ]
        answers = await evalsha_many(self._redis, self._put, calls)
        return [str(int(a)) if int(a) >= 0 else None for a in answers]

    def _put_call(
        self,
        application_id: str,
        device_id: str,
        device: end_device_pb2.EndDevice,
        expected_version: str,
        application_ups: Sequence[messages_pb2.ApplicationUp],
        downlink_at_ms: int | None = None,
    ) -> tuple[list[str], list[bytes | str | int]]:
        args: list[bytes | str | int] = [
            expected_version,
            device.SerializeToString(),
            self._addr_prefix,
            task_member(application_id, device_id),
            ",".join(session_addresses(device)),
            self._eui_prefix,
            _eui_text(device),
            self._max_length,
            "" if downlink_at_ms is None else downlink_at_ms,
        ]
        args.extend(up.SerializeToString() for up in application_ups)
        return self._keys_of(application_id, device_id), args

    def _keys_of(self, application_id: str, device_id: str) -> list[str]:
        return [self.device_key(application_id, device_id), self.stream_key(application_id), self._tasks_key]

    async def delete(self, application_id: str, device_id: str) -> bool:
        member = task_member(application_id, device_id)
        args: list[bytes | str | int] = [ANY_VERSION, b"", self._addr_prefix, member, "", self._eui_prefix, ""]
        args.extend((self._max_length, ""))
        return int(await self._put(keys=self._keys_of(application_id, device_id), args=args)) == 0
