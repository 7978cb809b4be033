"""Gateways connected to this replica: their protocol, clock, scheduler and how to reach them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gatewayserver.clock import ConcentratorClock
from gatewayserver.gateways import GatewayInfo
from gatewayserver.scheduling.scheduler import Scheduler
from ttn.lorawan.v3 import messages_pb2

__all__ = ["Connection", "ConnectionRegistry", "Transmit", "sub_band_usage"]

# Hands a downlink with scheduled TxSettings to the gateway (PULL_RESP, dnmsg, GatewayDown).
Transmit = Callable[["Connection", messages_pb2.DownlinkMessage], Awaitable[None]]


@dataclass(eq=False, slots=True)
class Connection:
    gateway: GatewayInfo
    protocol: str
    scheduler: Scheduler
    transmit: Transmit
    clock: ConcentratorClock = field(default_factory=ConcentratorClock)
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    remote_ip: str = ""
    # Downlinks sent and not yet acknowledged, by the protocol's own correlation key.
    pending: dict[object, tuple[float, messages_pb2.DownlinkMessage]] = field(default_factory=dict)


# Told (connection, True) when a gateway connects and (connection, False) when it leaves.
Listener = Callable[["Connection", bool], None]


class ConnectionRegistry:
    """The gateways this process talks to, by gateway id; one connection per gateway."""

    def __init__(self, listener: Listener | None = None) -> None:
        self._by_id: dict[str, Connection] = {}
        self._listener = listener

    def get(self, gateway_id: str) -> Connection | None:
        return self._by_id.get(gateway_id)

    def add(self, connection: Connection) -> Connection | None:
        """Register ``connection``; returns the one it replaces."""
        previous = self._by_id.get(connection.gateway.gateway_id)
        self._by_id[connection.gateway.gateway_id] = connection
        if self._listener is not None:
            self._listener(connection, True)
        return previous

    def remove(self, connection: Connection) -> bool:
        if self._by_id.get(connection.gateway.gateway_id) is connection:
            del self._by_id[connection.gateway.gateway_id]
            if self._listener is not None:
                self._listener(connection, False)
            return True
        return False

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[Connection]:
        return list(self._by_id.values())


def sub_band_usage(connections: ConnectionRegistry, now: float) -> dict[str, list[tuple[int, int, float, float]]]:
    """Duty-cycle use of every sub-band of every gateway connected here, at server time ``now``."""
    out: dict[str, list[tuple[int, int, float, float]]] = {}
    for connection in connections.all():
        scheduler = connection.scheduler
        # Booked transmissions count as used: the window ends at the last one when it lies ahead.
        ends = [e.end for e in scheduler.emissions()]
        at = max([connection.clock.estimate(now), *ends]) / 1e6
        out[connection.gateway.gateway_id] = [
            (
                sb.min_frequency,
                sb.max_frequency,
                sb.duty_cycle,
                scheduler.duty_cycle.utilization((sb.min_frequency + sb.max_frequency) // 2, at) * sb.duty_cycle,
            )
            for sb in scheduler.plan.sub_bands
        ]
    return out
