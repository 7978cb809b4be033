"""Application Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, host_port

__all__ = ["ApplicationServerConfig"]


@dataclass(frozen=True, slots=True)
class ApplicationServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:4884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:4885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "as"
    as_mqtt_address: str = field(default="0.0.0.0:1883", metadata={"parse": host_port})
