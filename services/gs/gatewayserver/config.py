"""Gateway Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, env_name, host_port
from lorastack.lorawan.devaddr import DevAddrPrefix
from lorastack.lorawan.errors import LoRaWANError
from lorastack.lorawan.netid import NetID

__all__ = ["GatewayServerConfig"]


@dataclass(frozen=True, slots=True)
class GatewayServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:2884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:2885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "gs"
    gs_udp_address: str = field(default="0.0.0.0:1700", metadata={"parse": host_port})
    gs_basicstation_address: str = field(default="0.0.0.0:1887", metadata={"parse": host_port})
    # Datagrams waiting for a worker; more are dropped (and counted) so a flood cannot exhaust memory.
    gs_udp_queue_size: int = 4096
    gs_udp_workers: int = 4
    # Forward data uplinks whose DevAddr belongs to one of these NetIDs or prefixes; both empty forwards all.
    gs_forward_net_ids: tuple[str, ...] = ()
    gs_forward_dev_addr_prefixes: tuple[str, ...] = ("00000000/0",)
    # Serve gateways the IS does not know under an ``eui-<eui>`` id instead of dropping them.
    gs_allow_unknown_gateways: bool = False
    gs_gateway_cache_seconds: float = 60.0
    # Plan of gateways whose registration names none.
    gs_default_frequency_plan: str = "EU_863_870"
    # Least time between scheduling a downlink and its transmission: the gateway must get it first.
    gs_downlink_lead_ms: int = 150
    gs_uplink_queue_size: int = 8192
    # Backoff doubles from the base with full jitter: 8 retries ride out about 13 s on average (25 s at
    # most) of an unreachable NS, long enough for a restart, so that no uplink is lost to one.
    gs_uplink_retries: int = 8
    gs_uplink_retry_base_ms: int = 100
    gs_stats_ttl_seconds: int = 86400
    # Basics Station traffic without an API key (lab set-ups only).
    gs_basicstation_allow_unauthenticated: bool = False

    def validate(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        try:
            for net_id in self.gs_forward_net_ids:
                NetID.from_hex(net_id)
        except LoRaWANError as err:
            problems[env_name("gs_forward_net_ids")] = str(err)
        try:
            for prefix in self.gs_forward_dev_addr_prefixes:
                DevAddrPrefix.from_string(prefix)
        except LoRaWANError as err:
            problems[env_name("gs_forward_dev_addr_prefixes")] = str(err)
        for name in ("gs_udp_queue_size", "gs_udp_workers", "gs_uplink_queue_size"):
            if getattr(self, name) < 1:
                problems[env_name(name)] = "must be at least 1"
        return problems

    def forward_prefixes(self) -> tuple[DevAddrPrefix, ...]:
        """Every DevAddr prefix whose data uplinks go to the NS."""
        prefixes = [NetID.from_hex(n).dev_addr_prefix() for n in self.gs_forward_net_ids]
        prefixes += [DevAddrPrefix.from_string(p) for p in self.gs_forward_dev_addr_prefixes]
        return tuple(prefixes)
