"""What every simulated gateway shares, whatever protocol it speaks: its concentrator clock, the channels
its plan listens on, the devices in range, and its counters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields

from lorastack.lorawan.band import Band, get_band
from lorastack.lorawan.frequencyplans import FrequencyPlan
from lorastack.sim.clock import ConcentratorClock
from lorastack.sim.radio import Downlink, DownlinkListener, Uplink

__all__ = ["GatewayCounters", "GatewayIdentity", "VirtualGateway"]


@dataclass(frozen=True, slots=True)
class GatewayIdentity:
    gateway_id: str
    eui: bytes


@dataclass(slots=True)
class GatewayCounters:
    uplinks: int = 0
    uplinks_not_heard: int = 0
    uplinks_acked: int = 0
    downlinks: int = 0
    downlinks_too_late: int = 0
    downlinks_invalid: int = 0
    keepalives: int = 0
    keepalives_acked: int = 0
    statuses: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def add(self, other: GatewayCounters) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class VirtualGateway(ABC):
    """Protocol front-ends subclass this and implement ``hear``; downlinks go out through ``deliver``."""

    def __init__(self, identity: GatewayIdentity, plan: FrequencyPlan, clock: ConcentratorClock | None = None) -> None:
        self.identity = identity
        self.plan = plan
        self.band: Band = get_band(plan.band_id)
        self.clock = clock or ConcentratorClock()
        self.counters = GatewayCounters()
        self._listeners: list[DownlinkListener] = []
        self._channels = {ch.frequency: index for index, ch in enumerate(plan.uplink_channels)}
        self._radios = {ch.frequency: ch.radio for ch in plan.uplink_channels}

    @property
    def gateway_id(self) -> str:
        return self.identity.gateway_id

    @abstractmethod
    async def start(self) -> None:
        """Implemented by each protocol's gateway."""

    @abstractmethod
    async def stop(self) -> None:
        """Implemented by each protocol's gateway."""

    @abstractmethod
    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Implemented by each protocol's gateway."""

    @abstractmethod
    def hear(self, uplink: Uplink, rssi: float, snr: float) -> int | None:
        """Implemented by each protocol's gateway."""

    def add_listener(self, listener: DownlinkListener) -> None:
        self._listeners.append(listener)

    def channel_of(self, frequency: int) -> tuple[int, int] | None:
        """(IF channel, RF chain) of an uplink frequency, None when the concentrator does not listen there."""
        index = self._channels.get(frequency)
        if index is None:
            return None
        return index, self._radios[frequency]

    def deliver(self, downlink: Downlink) -> None:
        self.counters.downlinks += 1
        for listener in self._listeners:
            listener(downlink)
