"""Redis implementations of the Join Server's stores."""

from joinserver.redisstore.devices import RedisDeviceRegistry

__all__ = ["RedisDeviceRegistry"]
