"""The MAC state a session starts with: the band's boot parameters (LoRaWAN Regional Parameters,
RP002 section 2) narrowed by the device's frequency plan, and desired parameters from its MAC settings."""

from __future__ import annotations

from functools import lru_cache

from lorastack.lorawan import Band, FrequencyPlan, get_band, get_plan
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

__all__ = ["band_of", "initial_mac_state", "is_join_uplink", "plan_and_band"]


@lru_cache(maxsize=64)
def plan_and_band(frequency_plan_id: str) -> tuple[FrequencyPlan, Band]:
    """The frequency plan and its band; raises when the plan is unknown."""
    plan = get_plan(frequency_plan_id)
    return plan, get_band(plan.band_id)


def band_of(device: end_device_pb2.EndDevice) -> Band:
    return plan_and_band(device.frequency_plan_id)[1]


def _boot_parameters(plan: FrequencyPlan, band: Band) -> end_device_pb2.MACParameters:
    params = end_device_pb2.MACParameters(
        max_eirp=plan.max_eirp if plan.max_eirp is not None else band.default_max_eirp,
        adr_data_rate_index=lorawan_pb2.DATA_RATE_0,
        adr_tx_power_index=0,
        adr_nb_trans=1,
        rx1_delay=max(1, int(band.receive_delay_1)),  # type: ignore[arg-type]
        rx1_data_rate_offset=0,  # type: ignore[arg-type]
        rx2_data_rate_index=band.rx2_data_rate_index,  # type: ignore[arg-type]
        rx2_frequency=band.rx2_frequency,
    )
    for channel in band.uplink_channels:
        params.channels.add(
            uplink_frequency=channel.frequency,
            downlink_frequency=band.rx1_frequency(channel.frequency),
            min_data_rate_index=channel.min_data_rate,
            max_data_rate_index=channel.max_data_rate,
            enable_uplink=True,
        )
    return params


def _preset_channels(
    params: end_device_pb2.MACParameters, plan: FrequencyPlan, band: Band, frequencies: list[int]
) -> None:
    """An ABP device's factory-preset channels replace the band's boot channels; each takes the data
    rate range of the plan's (or else the band's) channel on that frequency."""
    ranges = {ch.frequency: (ch.min_data_rate, ch.max_data_rate) for ch in band.uplink_channels}
    ranges.update({ch.frequency: (ch.min_data_rate, ch.max_data_rate) for ch in plan.uplink_channels})
    fallback = (band.uplink_channels[0].min_data_rate, band.uplink_channels[0].max_data_rate)
    del params.channels[:]
    for frequency in frequencies:
        low, high = ranges.get(frequency, fallback)
        params.channels.add(
            uplink_frequency=frequency,
            downlink_frequency=band.rx1_frequency(frequency),
            min_data_rate_index=low,
            max_data_rate_index=high,
            enable_uplink=True,
        )


def _desired_parameters(
    plan: FrequencyPlan, band: Band, current: end_device_pb2.MACParameters, settings: end_device_pb2.MACSettings
) -> end_device_pb2.MACParameters:
    desired = end_device_pb2.MACParameters()
    desired.CopyFrom(current)
    desired.rx2_frequency = plan.rx2_channel.frequency
    desired.rx2_data_rate_index = plan.rx2_channel.data_rate  # type: ignore[assignment]
    if settings.HasField("desired_rx1_delay"):
        desired.rx1_delay = settings.desired_rx1_delay.value
    if settings.HasField("desired_rx1_data_rate_offset"):
        desired.rx1_data_rate_offset = settings.desired_rx1_data_rate_offset.value
    if settings.HasField("desired_rx2_data_rate_index"):
        desired.rx2_data_rate_index = settings.desired_rx2_data_rate_index.value
    if settings.HasField("desired_rx2_frequency"):
        desired.rx2_frequency = settings.desired_rx2_frequency.value
    if settings.HasField("desired_max_duty_cycle"):
        desired.max_duty_cycle = settings.desired_max_duty_cycle.value
    # The band's channels stay on only where the plan uses them (US915 FSB2: 8 of 64 and 1 of 8).
    planned = {ch.frequency for ch in plan.uplink_channels}
    if plan.lora_standard_channel is not None:
        planned.add(plan.lora_standard_channel.frequency)
    if planned:
        for existing in desired.channels:
            existing.enable_uplink = existing.uplink_frequency in planned
    # The plan's channels beyond the band's defaults are the ones NewChannelReq must add.
    known = {ch.uplink_frequency for ch in desired.channels}
    for channel in plan.uplink_channels:
        if channel.frequency not in known:
            desired.channels.add(
                uplink_frequency=channel.frequency,
                downlink_frequency=channel.frequency,
                min_data_rate_index=channel.min_data_rate,
                max_data_rate_index=channel.max_data_rate,
                enable_uplink=True,
            )
    return desired


def initial_mac_state(device: end_device_pb2.EndDevice) -> end_device_pb2.MACState:
    """A fresh MAC state for ``device`` (after a join, or on creating an ABP device)."""
    plan, band = plan_and_band(device.frequency_plan_id)
    settings = device.mac_settings
    current = _boot_parameters(plan, band)
    if not device.supports_join and settings.factory_preset_frequencies:
        _preset_channels(current, plan, band, list(settings.factory_preset_frequencies))
    if settings.HasField("rx1_delay"):
        current.rx1_delay = settings.rx1_delay.value
    if settings.HasField("rx1_data_rate_offset"):
        current.rx1_data_rate_offset = settings.rx1_data_rate_offset.value
    if settings.HasField("rx2_data_rate_index"):
        current.rx2_data_rate_index = settings.rx2_data_rate_index.value
    if settings.HasField("rx2_frequency"):
        current.rx2_frequency = settings.rx2_frequency.value
    state = end_device_pb2.MACState(
        current_parameters=current,
        desired_parameters=_desired_parameters(plan, band, current, settings),
        device_class=lorawan_pb2.CLASS_C if device.supports_class_c else lorawan_pb2.CLASS_A,
        lorawan_version=device.lorawan_version,
    )
    return state


def is_join_uplink(up: end_device_pb2.MACState.UplinkMessage) -> bool:
    """A (re)join-request that a pending MAC state keeps until its (re)join-accept is sent."""
    return up.payload.m_hdr.m_type in (lorawan_pb2.JOIN_REQUEST, lorawan_pb2.REJOIN_REQUEST)
