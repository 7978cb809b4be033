"""Application Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, env_name, host_port

__all__ = ["ApplicationServerConfig", "parse_keks"]


def parse_keks(value: str) -> tuple[tuple[str, bytes], ...]:
    """``label=hex,label=hex``: key-encryption keys by label, for AppSKeys wrapped by the JS."""
    out: list[tuple[str, bytes]] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        label, sep, hexkey = item.partition("=")
        if not sep or not label.strip():
            raise ValueError(f"{item!r} is not label=hexkey")
        key = bytes.fromhex(hexkey.strip())
        if len(key) not in (16, 24, 32):
            raise ValueError(f"KEK {label!r} must have 16, 24 or 32 bytes")
        out.append((label.strip(), key))
    return tuple(out)


def _mqtt_address(value: str) -> str:
    return "" if value.lower() in ("off", "none", "disabled") else host_port(value)


@dataclass(frozen=True, slots=True)
class ApplicationServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:4884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:4885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "as"
    # "off" turns the application MQTT server off.
    as_mqtt_address: str = field(default="0.0.0.0:1883", metadata={"parse": _mqtt_address})
    # The consumer name this replica uses on the uplink stream; stable across restarts so that
    # a restarted process takes back what it had read but not yet delivered.
    as_instance_id: str = field(default_factory=socket.gethostname)
    # The URL integrations reach this AS's REST API at (webhook downlink headers); empty leaves them out.
    as_public_url: str = ""
    as_keks: tuple[tuple[str, bytes], ...] = field(default=(), metadata={"parse": parse_keks, "secret": True})
    # The label (in as_keks) of the KEK that wraps AppSKeys before they are stored (The Things Stack's
    # as.device-kek-label); empty stores them plain.
    as_device_kek_label: str = ""
    as_link_backoff_min_seconds: float = 0.2
    as_link_backoff_max_seconds: float = 10.0
    as_formatter_time_limit_seconds: float = 0.1
    as_formatter_memory_limit_bytes: int = 16 * 1024 * 1024
    as_uplink_stream_max_length: int = 1_000_000
    as_webhook_timeout_seconds: float = 5.0
    as_webhook_retries: int = 5
    as_webhook_backoff_seconds: float = 0.5
    # After this many consecutive failed deliveries a webhook is marked unhealthy and skipped.
    as_webhook_unhealthy_attempts: int = 20
    as_webhook_unhealthy_retry_seconds: float = 60.0

    def validate(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.as_formatter_time_limit_seconds <= 0:
            problems[env_name("as_formatter_time_limit_seconds")] = "must be positive"
        if self.as_formatter_memory_limit_bytes < 1024 * 1024:
            problems[env_name("as_formatter_memory_limit_bytes")] = "must be at least 1 MiB"
        if self.as_link_backoff_min_seconds <= 0 or self.as_link_backoff_max_seconds < self.as_link_backoff_min_seconds:
            problems[env_name("as_link_backoff_max_seconds")] = "backoff bounds must be positive and ordered"
        if self.as_device_kek_label and self.kek(self.as_device_kek_label) is None:
            problems[env_name("as_device_kek_label")] = "names no KEK in LORASTACK_AS_KEKS"
        if self.as_webhook_retries < 0:
            problems[env_name("as_webhook_retries")] = "must not be negative"
        return problems

    def kek(self, label: str) -> bytes | None:
        for name, key in self.as_keks:
            if name == label:
                return key
        return None
