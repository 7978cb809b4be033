"""Network Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, host_port

__all__ = ["NetworkServerConfig"]


@dataclass(frozen=True, slots=True)
class NetworkServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:3884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:3885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "ns"
    ns_net_id: str = "000000"
    ns_dedup_window_ms: int = 200
