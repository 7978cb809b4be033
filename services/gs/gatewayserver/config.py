"""Gateway Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, host_port

__all__ = ["GatewayServerConfig"]


@dataclass(frozen=True, slots=True)
class GatewayServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:2884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:2885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "gs"
    gs_udp_address: str = field(default="0.0.0.0:1700", metadata={"parse": host_port})
    gs_basicstation_address: str = field(default="0.0.0.0:1887", metadata={"parse": host_port})
