"""The simulated air interface between end devices and gateways: what is sent, what is heard, and the
LoRa data-rate strings (``SF7BW125``) of the packet forwarder and the band's data-rate indexes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lorastack.lorawan.band import Band, FSKModulation, LoRaModulation

__all__ = [
    "AirGateway",
    "Downlink",
    "DownlinkListener",
    "Uplink",
    "data_rate_index",
    "datr_of",
]

_DATR = re.compile(r"^SF(\d+)BW(\d+)$")


@dataclass(frozen=True, slots=True)
class Uplink:
    """A frame on the air; ``sent_at`` is the monotonic instant its transmission ended."""

    payload: bytes
    frequency: int
    data_rate: int
    sent_at: float


@dataclass(frozen=True, slots=True)
class Downlink:
    """A frame a gateway transmitted. ``concentrator_time`` is the 32-bit microsecond counter value of
    the transmission (the low 32 bits of ``xtime`` for Basics Station); None when sent immediately."""

    payload: bytes
    frequency: int
    data_rate: int | None
    gateway_id: str
    concentrator_time: int | None
    snr: float = 10.0
    rssi: float = -60.0


DownlinkListener = Callable[[Downlink], None]


class AirGateway(Protocol):
    """What a device needs of a gateway it can reach."""

    @property
    def gateway_id(self) -> str: ...

    def hear(self, uplink: Uplink, rssi: float, snr: float) -> int | None:
        """Receive an uplink; returns the 32-bit concentrator timestamp stamped on it, or None when the
        gateway cannot hear that frequency (or is not connected)."""
        ...

    def add_listener(self, listener: DownlinkListener) -> None: ...


def datr_of(band: Band, index: int) -> str | int:
    """``SF7BW125`` for a LoRa data rate, the bit rate for FSK."""
    modulation = band.data_rate(index).modulation
    if isinstance(modulation, LoRaModulation):
        return f"SF{modulation.spreading_factor}BW{modulation.bandwidth // 1000}"
    if isinstance(modulation, FSKModulation):
        return modulation.bit_rate
    raise ValueError(f"data rate {index} of {band.id} is neither LoRa nor FSK")


def data_rate_index(band: Band, datr: str | int, *, uplink: bool = False) -> int | None:
    """The band index of a ``datr`` value, None when the band has no such data rate."""
    try:
        if isinstance(datr, int):
            return band.find_data_rate(FSKModulation(datr), uplink=uplink).index
        match = _DATR.match(datr)
        if match is None:
            return None
        modulation = LoRaModulation(int(match[1]), int(match[2]) * 1000)
        return band.find_data_rate(modulation, uplink=uplink).index
    except ValueError:
        return None
