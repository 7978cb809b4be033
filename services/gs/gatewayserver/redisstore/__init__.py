"""Redis implementations of the Gateway Server's stores."""

from gatewayserver.redisstore.presence import RedisGatewayPresence
from gatewayserver.redisstore.stats import RedisConnectionStats

__all__ = ["RedisConnectionStats", "RedisGatewayPresence"]
