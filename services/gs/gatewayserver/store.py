"""Storage seams of the Gateway Server (implementations in ``redisstore``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ttn.lorawan.v3 import gateway_pb2

__all__ = ["ConnectionStatsStore", "GatewayPresence", "StatsUpdate"]


class StatsUpdate(Protocol):
    """What happened on one gateway connection since the last flush."""

    gateway_id: str
    connected_at: datetime | None
    disconnected_at: datetime | None
    protocol: str
    remote_ip: str
    uplinks: int
    last_uplink_at: datetime | None
    downlinks: int
    last_downlink_at: datetime | None
    tx_acks: int
    last_tx_ack_at: datetime | None
    last_status_at: datetime | None
    last_status: gateway_pb2.GatewayStatus | None
    round_trip_times: list[float]
    sub_bands: list[tuple[int, int, float, float]] | None


class ConnectionStatsStore(Protocol):
    async def apply(self, updates: Sequence[StatsUpdate]) -> None:
        """Merge updates into the stored stats (counters add up, times and status replace)."""

    async def get(self, gateway_id: str) -> gateway_pb2.GatewayConnectionStats | None:
        """The stats of the gateway's current or last connection, None when it never connected."""


class GatewayPresence(Protocol):
    """Which GS replica (its gRPC address) holds a gateway's connection."""

    async def claim(self, gateway_id: str, address: str, ttl_seconds: int) -> None: ...

    async def release(self, gateway_id: str, address: str) -> None:
        """Forget the claim, unless another replica took the gateway over meanwhile."""

    async def where(self, gateway_id: str) -> str | None: ...
