"""The radio parameters a device holds and MAC commands change: channels, data rate, power, RX windows.

Initial values follow the band defaults of the Regional Parameters (RP002-1.0.3 section 2), which is what
a network server assumes of a device that has just joined or been personalized.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.lorawan.band import Band, CFListType
from lorastack.lorawan.frequencyplans import FrequencyPlan

__all__ = ["DeviceChannel", "MACState", "initial_mac_state"]


@dataclass(slots=True)
class DeviceChannel:
    frequency: int
    min_data_rate: int
    max_data_rate: int
    enabled: bool = True
    downlink_frequency: int | None = None


@dataclass(slots=True)
class MACState:
    band: Band
    channels: dict[int, DeviceChannel]
    data_rate: int
    tx_power: int = 0
    nb_trans: int = 1
    rx1_delay: int = 1
    rx1_dr_offset: int = 0
    rx2_data_rate: int = 0
    rx2_frequency: int = 0
    max_duty_cycle: int = 0
    adr_ack_limit_exp: int | None = None
    adr_ack_delay_exp: int | None = None
    max_eirp: int | None = None
    uplink_dwell_time: bool = False
    downlink_dwell_time: bool = False
    last_margin: int | None = None
    last_gateway_count: int | None = None
    last_device_time: float | None = None
    history: list[str] = field(default_factory=list)

    def enabled_channels(self, data_rate: int | None = None) -> list[tuple[int, DeviceChannel]]:
        rate = self.data_rate if data_rate is None else data_rate
        return [
            (index, ch)
            for index, ch in sorted(self.channels.items())
            if ch.enabled and ch.frequency and ch.min_data_rate <= rate <= ch.max_data_rate
        ]

    def rx1(self, uplink_frequency: int, uplink_channel: int, uplink_data_rate: int) -> tuple[int, int]:
        """RX1 frequency and data rate for an uplink (DlChannelReq may move the frequency)."""
        channel = self.channels.get(uplink_channel)
        frequency = (
            channel.downlink_frequency
            if channel is not None and channel.downlink_frequency
            else self.band.rx1_frequency(uplink_frequency)
        )
        data_rate = self.band.rx1_data_rate(uplink_data_rate, self.rx1_dr_offset, self.downlink_dwell_time)
        return frequency, data_rate


def initial_mac_state(
    band: Band, plan: FrequencyPlan | None, *, preset_plan_channels: bool, data_rate: int | None
) -> MACState:
    """Band default channels; ``preset_plan_channels`` adds the plan's extra channels as a factory preset
    (ABP devices, which never get a CFList). Fixed-channel bands keep only the plan's channels on."""
    channels = {
        index: DeviceChannel(ch.frequency, ch.min_data_rate, ch.max_data_rate)
        for index, ch in enumerate(band.uplink_channels)
    }
    plan_frequencies = {ch.frequency for ch in plan.uplink_channels} if plan is not None else set()
    if band.cf_list_type is CFListType.CHANNEL_MASKS and plan_frequencies:
        for channel in channels.values():
            channel.enabled = channel.frequency in plan_frequencies
    elif preset_plan_channels and plan is not None:
        known = {ch.frequency for ch in channels.values()}
        for plan_channel in plan.uplink_channels:
            if plan_channel.frequency not in known and len(channels) < band.max_uplink_channels:
                channels[len(channels)] = DeviceChannel(
                    plan_channel.frequency, plan_channel.min_data_rate, plan_channel.max_data_rate
                )
    if data_rate is None:
        data_rate = _widest_data_rate(channels)
    return MACState(
        band=band,
        channels=channels,
        data_rate=data_rate,
        rx1_delay=round(band.receive_delay_1),
        rx2_data_rate=band.rx2_data_rate_index,
        rx2_frequency=band.rx2_frequency,
    )


def _widest_data_rate(channels: dict[int, DeviceChannel]) -> int:
    """The fastest data rate among those usable on the most channels (125 kHz rather than 500 kHz in US)."""
    counts: dict[int, int] = {}
    for ch in channels.values():
        if ch.enabled:
            for rate in range(ch.min_data_rate, ch.max_data_rate + 1):
                counts[rate] = counts.get(rate, 0) + 1
    best = max(counts.values())
    return max(rate for rate, count in counts.items() if count == best)
