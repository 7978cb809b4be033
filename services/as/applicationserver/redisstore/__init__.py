"""Redis implementations of the Application Server's stores (values are serialized protobuf)."""

from applicationserver.redisstore.devices import RedisDeviceStore
from applicationserver.redisstore.integrations import RedisPubSubStore, RedisWebhookStore
from applicationserver.redisstore.links import RedisLinkStore
from applicationserver.redisstore.upstream import RedisUpStream

__all__ = ["RedisDeviceStore", "RedisLinkStore", "RedisPubSubStore", "RedisUpStream", "RedisWebhookStore"]
