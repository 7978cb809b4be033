"""Gateway presence in Redis: ``<prefix>:presence:<gateway id>`` holds the gRPC address of the replica."""

from __future__ import annotations

from redis.asyncio import Redis

from lorastack.storage.redis import Keys

__all__ = ["RedisGatewayPresence"]

# Delete only our own claim: a gateway that reconnected elsewhere keeps its new owner.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisGatewayPresence:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._release = redis.register_script(_RELEASE)

    async def claim(self, gateway_id: str, address: str, ttl_seconds: int) -> None:
        await self._redis.set(self._keys.of("presence", gateway_id), address, ex=ttl_seconds)

    async def release(self, gateway_id: str, address: str) -> None:
        await self._release(keys=[self._keys.of("presence", gateway_id)], args=[address])

    async def where(self, gateway_id: str) -> str | None:
        value = await self._redis.get(self._keys.of("presence", gateway_id))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)
