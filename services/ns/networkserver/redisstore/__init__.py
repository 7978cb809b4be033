"""Redis implementations of the Network Server's storage seams (``networkserver.store``)."""

from .appups import RedisApplicationUpQueue
from .dedup import RedisUplinkDeduplicator
from .devices import RedisDeviceRegistry, session_addresses
from .tasks import RedisDownlinkTaskQueue

__all__ = [
    "RedisApplicationUpQueue",
    "RedisDeviceRegistry",
    "RedisDownlinkTaskQueue",
    "RedisUplinkDeduplicator",
    "session_addresses",
]
