"""Network Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, env_name, host_port
from lorastack.lorawan import DevAddrPrefix, NetID

__all__ = ["NetworkServerConfig"]


@dataclass(frozen=True, slots=True)
class NetworkServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:3884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:3885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "ns"
    ns_net_id: str = "000000"
    # Empty means the whole block of the NetID; otherwise prefixes like ``26000000/20``.
    ns_dev_addr_prefixes: tuple[str, ...] = ()
    ns_dedup_window_ms: int = 200
    # Frames whose windows close this close together are processed as one batch (one round trip a step).
    ns_uplink_gather_ms: int = 20
    # Copies arriving this long after the window closed are dropped as late, not processed again.
    ns_cooldown_window_ms: int = 1000
    # A replica has this long to handle an uplink after its window; if it dies, another takes it after that.
    ns_uplink_lease_ms: int = 10_000
    # Names this replica in Redis across restarts, so that a restarted replica first finishes the uplinks
    # it was killed with; empty: the host name and gRPC port (a random name when the port is 0).
    ns_replica_id: str = ""
    # Upper bound of each application's uplink stream while no AS reads it.
    ns_application_stream_max_length: int = 100_000
    ns_downlink_poll_ms: int = 50
    # Devices whose downlink tasks this replica works on at once; 0: this replica sends no downlinks.
    ns_downlink_concurrency: int = 32
    # A replica holds a device's downlink task this long at most; if it dies, another takes it after that.
    ns_downlink_lease_ms: int = 10_000
    # How long a Gs has to answer a ScheduleDownlink call.
    ns_schedule_timeout_ms: int = 1000
    ns_status_count_periodicity: int = 200
    # A class C downlink no gateway accepts is tried this many times, this far apart, then failed.
    ns_class_c_attempts: int = 5
    ns_class_c_retry_ms: int = 1000
    # Uplinks worked on at once per process; keep below the Redis pool size (100).
    ns_uplink_concurrency: int = 48

    def validate(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        try:
            NetID.from_hex(self.ns_net_id)
        except Exception:
            problems[env_name("ns_net_id")] = "must be 6 hex digits"
        for prefix in self.ns_dev_addr_prefixes:
            try:
                DevAddrPrefix.from_string(prefix)
            except Exception:
                problems[env_name("ns_dev_addr_prefixes")] = f"{prefix!r} is not like 26000000/7"
        if self.ns_dedup_window_ms < 0:
            problems[env_name("ns_dedup_window_ms")] = "must not be negative"
        if self.ns_uplink_gather_ms < 0:
            problems[env_name("ns_uplink_gather_ms")] = "must not be negative"
        if self.ns_downlink_concurrency < 0:
            problems[env_name("ns_downlink_concurrency")] = "must not be negative"
        if self.ns_downlink_lease_ms < 1000:
            problems[env_name("ns_downlink_lease_ms")] = "must be at least 1000 (a downlink task must fit in it)"
        if self.ns_uplink_lease_ms < 1000:
            problems[env_name("ns_uplink_lease_ms")] = "must be at least 1000 (handling an uplink must fit in it)"
        if "|" in self.ns_replica_id:
            problems[env_name("ns_replica_id")] = "must not contain '|'"
        if self.ns_cooldown_window_ms < 0:
            problems[env_name("ns_cooldown_window_ms")] = "must not be negative"
        return problems

    @property
    def net_id(self) -> NetID:
        return NetID.from_hex(self.ns_net_id)

    @property
    def dev_addr_prefixes(self) -> tuple[DevAddrPrefix, ...]:
        if not self.ns_dev_addr_prefixes:
            return (self.net_id.dev_addr_prefix(),)
        return tuple(DevAddrPrefix.from_string(p) for p in self.ns_dev_addr_prefixes)
