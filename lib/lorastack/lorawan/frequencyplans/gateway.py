"""Gateway radio configuration derived from a frequency plan.

Produces the ``SX1301_conf`` object of the Semtech UDP packet forwarder's ``global_conf.json``
(lora_gateway/packet_forwarder v4 field names) and the ``router_config`` message of the
LoRa Basics Station LNS protocol (``DRs``, ``freq_range``, ``sx1301_conf``).
"""

from __future__ import annotations

from typing import Any

from lorastack.lorawan.band import FSKModulation, LoRaModulation, get_band
from lorastack.lorawan.frequencyplans.loader import FrequencyPlanError
from lorastack.lorawan.frequencyplans.model import FrequencyPlan, PlanChannel, Radio, SingleChannel

__all__ = ["BASIC_STATION_REGIONS", "basic_station_router_config", "sx1301_conf"]

# Basics Station region names per TTS band id.
BASIC_STATION_REGIONS = {
    "EU_863_870": "EU863",
    "US_902_928": "US902",
    "AU_915_928": "AU915",
    "AS_923": "AS923-1",
    "AS_923_2": "AS923-2",
    "AS_923_3": "AS923-3",
    "AS_923_4": "AS923-4",
    "KR_920_923": "KR920",
    "IN_865_867": "IN865",
    "CN_470_510": "CN470",
    "EU_433": "EU433",
    "RU_864_870": "RU864",
    "CN_779_787": "CN779",
}

# An SX1301 has eight multi-SF demodulators besides the standard LoRa and FSK ones.
_MULTI_SF_CHAINS = 8


def _mhz(frequency: int) -> str:
    text = f"{frequency / 1e6:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _radios(plan: FrequencyPlan) -> tuple[Radio, ...]:
    """The plan's radios, or radios centred on the channels each one serves when the plan has none."""
    if plan.radios:
        return plan.radios
    by_radio: dict[int, list[int]] = {}
    channels: list[PlanChannel | SingleChannel] = list(plan.uplink_channels)
    channels += [c for c in (plan.lora_standard_channel, plan.fsk_channel) if c is not None]
    for ch in channels:
        by_radio.setdefault(ch.radio, []).append(ch.frequency)
    count = max(by_radio, default=0) + 1
    radios = []
    for index in range(max(count, 2)):
        freqs = by_radio.get(index) or by_radio.get(0) or [plan.uplink_channels[0].frequency]
        centre = (min(freqs) + max(freqs)) // 2
        radios.append(Radio(index in by_radio, "SX1257", centre, -166.0))
    return tuple(radios)


def _radio_json(radio: Radio) -> dict[str, Any]:
    out: dict[str, Any] = {
        "enable": radio.enable,
        "type": radio.chip_type,
        "freq": radio.frequency,
        "rssi_offset": radio.rssi_offset,
        "tx_enable": radio.tx is not None,
    }
    if radio.tx is not None:
        out["tx_freq_min"] = radio.tx.min_frequency
        out["tx_freq_max"] = radio.tx.max_frequency
        if radio.tx.notch_frequency is not None:
            out["tx_notch_freq"] = radio.tx.notch_frequency
    return out


def _if(radios: tuple[Radio, ...], radio: int, frequency: int) -> int:
    if radio >= len(radios):
        raise FrequencyPlanError(f"channel {frequency} Hz names radio {radio}, which the plan lacks")
    return frequency - radios[radio].frequency


def _single_json(plan: FrequencyPlan, radios: tuple[Radio, ...], ch: SingleChannel | None) -> dict[str, Any]:
    if ch is None:
        return {"enable": False}
    mod = get_band(plan.band_id).data_rate(ch.data_rate).modulation
    out: dict[str, Any] = {"enable": True, "radio": ch.radio, "if": _if(radios, ch.radio, ch.frequency)}
    if isinstance(mod, LoRaModulation):
        out["desc"] = f"Lora MAC, {mod.bandwidth // 1000}kHz, SF{mod.spreading_factor}, {_mhz(ch.frequency)} MHz"
        out.update(bandwidth=mod.bandwidth, spread_factor=mod.spreading_factor)
    elif isinstance(mod, FSKModulation):
        out["desc"] = f"FSK {mod.bit_rate // 1000}kbps, {_mhz(ch.frequency)} MHz"
        out.update(bandwidth=125_000, datarate=mod.bit_rate)
    else:
        raise FrequencyPlanError(f"data rate {ch.data_rate} cannot be a concentrator channel")
    return out


def sx1301_conf(plan: FrequencyPlan, *, antenna_gain: float = 0.0) -> dict[str, Any]:
    """The ``SX1301_conf`` section of ``global_conf.json`` for one concentrator."""
    if len(plan.uplink_channels) > _MULTI_SF_CHAINS:
        raise FrequencyPlanError(f"plan {plan.id} has more than {_MULTI_SF_CHAINS} uplink channels")
    radios = _radios(plan)
    conf: dict[str, Any] = {
        "lorawan_public": True,
        "clksrc": plan.clock_source,
        "antenna_gain": antenna_gain,
    }
    if plan.lbt is not None:
        conf["lbt_cfg"] = {
            "enable": True,
            "rssi_target": plan.lbt.rssi_target,
            "sx127x_rssi_offset": plan.lbt.rssi_offset,
            "chan_cfg": [
                {"freq_hz": ch.frequency, "scan_time_us": plan.lbt.scan_time_us}
                for ch in plan.downlink_channels[:_MULTI_SF_CHAINS]
            ],
        }
    for index, radio in enumerate(radios):
        conf[f"radio_{index}"] = _radio_json(radio)
    for index in range(_MULTI_SF_CHAINS):
        if index < len(plan.uplink_channels):
            ch = plan.uplink_channels[index]
            conf[f"chan_multiSF_{index}"] = {
                "desc": f"Lora MAC, 125kHz, all SF, {_mhz(ch.frequency)} MHz",
                "enable": True,
                "radio": ch.radio,
                "if": _if(radios, ch.radio, ch.frequency),
            }
        else:
            conf[f"chan_multiSF_{index}"] = {"enable": False}
    conf["chan_Lora_std"] = _single_json(plan, radios, plan.lora_standard_channel)
    conf["chan_FSK"] = _single_json(plan, radios, plan.fsk_channel)
    return conf


def _data_rate_list(band_id: str) -> list[list[int]]:
    """Basics Station ``DRs``: [SF, BW kHz, downlink-only] per index 0..15; FSK is SF 0, unused -1."""
    band = get_band(band_id)
    uplink_rates = {dr for ch in band.uplink_channels for dr in range(ch.min_data_rate, ch.max_data_rate + 1)}
    rows: list[list[int]] = []
    for index in range(16):
        rate = band.data_rates.get(index)
        if rate is None:
            rows.append([-1, 0, 0])
        elif isinstance(rate.modulation, LoRaModulation):
            mod = rate.modulation
            rows.append([mod.spreading_factor, mod.bandwidth // 1000, int(index not in uplink_rates)])
        elif isinstance(rate.modulation, FSKModulation):
            rows.append([0, 0, 0])
        else:
            rows.append([-1, 0, 0])
    return rows


def basic_station_router_config(plan: FrequencyPlan) -> dict[str, Any]:
    """The radio part of a Basics Station ``router_config`` message (NetID/JoinEui filters omitted)."""
    conf = sx1301_conf(plan)
    conf.pop("lbt_cfg", None)
    low = min(sb.min_frequency for sb in plan.sub_bands)
    high = max(sb.max_frequency for sb in plan.sub_bands)
    return {
        "msgtype": "router_config",
        "region": BASIC_STATION_REGIONS.get(plan.band_id, plan.band_id),
        "hwspec": "sx1301/1",
        "freq_range": [low, high],
        "DRs": _data_rate_list(plan.band_id),
        "sx1301_conf": [conf],
        "nocca": plan.lbt is None,
        "nodc": all(sb.duty_cycle >= 1 for sb in plan.sub_bands),
        "nodwell": not (plan.dwell_time.uplinks or plan.dwell_time.downlinks),
    }
