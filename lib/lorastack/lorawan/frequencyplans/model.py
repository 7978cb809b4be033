"""Frequency plan values: The Things Stack plan format (github.com/TheThingsNetwork/lorawan-frequency-plans).

A plan narrows a band (RP002-1.0.3 section 2) to the channels one network and its gateways use.
"""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.lorawan.band.base import SubBand

__all__ = [
    "LBT",
    "DwellTime",
    "FrequencyPlan",
    "PlanChannel",
    "PlanDescription",
    "Radio",
    "RadioTx",
    "SingleChannel",
    "TimeOffAir",
]


@dataclass(frozen=True, slots=True)
class PlanChannel:
    """An uplink or downlink channel; ``radio`` is the concentrator RF chain that receives it."""

    frequency: int
    min_data_rate: int = 0
    max_data_rate: int = 5
    radio: int = 0


@dataclass(frozen=True, slots=True)
class SingleChannel:
    """A single-data-rate channel: LoRa standard channel, FSK channel, RX2 or ping slot."""

    frequency: int
    data_rate: int
    radio: int = 0


@dataclass(frozen=True, slots=True)
class DwellTime:
    uplinks: bool | None = None
    downlinks: bool | None = None
    duration: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class LBT:
    """Listen before talk: RSSI target and offset in dBm, scan time in microseconds."""

    rssi_target: float
    rssi_offset: float
    scan_time_us: int


@dataclass(frozen=True, slots=True)
class TimeOffAir:
    fraction: float | None = None
    duration: float | None = None  # seconds


@dataclass(frozen=True, slots=True)
class RadioTx:
    min_frequency: int
    max_frequency: int
    notch_frequency: int | None = None


@dataclass(frozen=True, slots=True)
class Radio:
    enable: bool
    chip_type: str
    frequency: int
    rssi_offset: float
    tx: RadioTx | None = None


@dataclass(frozen=True, slots=True)
class PlanDescription:
    """One entry of the plan index (``frequency-plans.yml``)."""

    id: str
    band_id: str
    name: str
    description: str
    base_frequency: int
    file: str | None = None
    base_id: str | None = None
    country_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FrequencyPlan:
    """A resolved plan: its own settings with the band's defaults filled in."""

    id: str
    band_id: str
    name: str
    description: str
    uplink_channels: tuple[PlanChannel, ...]
    downlink_channels: tuple[PlanChannel, ...]
    sub_bands: tuple[SubBand, ...]
    rx2_channel: SingleChannel
    ping_slot: SingleChannel
    radios: tuple[Radio, ...] = ()
    lora_standard_channel: SingleChannel | None = None
    fsk_channel: SingleChannel | None = None
    dwell_time: DwellTime = DwellTime()
    lbt: LBT | None = None
    time_off_air: TimeOffAir = TimeOffAir()
    clock_source: int = 0
    max_eirp: float | None = None

    def find_sub_band(self, frequency: int) -> SubBand | None:
        for sub_band in self.sub_bands:
            if sub_band.contains(frequency):
                return sub_band
        return None
