"""Time on air of LoRa and FSK frames.

LoRa follows Semtech AN1200.13 "LoRa Modem Designer's Guide" (section 4) / SX1276 datasheet 4.1.1.7;
FSK counts preamble, sync word, length byte, payload and CRC bytes at the bit rate, as the Semtech
packet forwarder and The Things Stack do. LoRaWAN downlinks carry no payload CRC (LoRaWAN 1.0.4 4.1).
"""

from __future__ import annotations

import math

from lorastack.lorawan.band.base import FSKModulation, LoRaModulation, LRFHSSModulation, Modulation
from lorastack.lorawan.errors import LoRaWANError

__all__ = [
    "AirtimeError",
    "fsk_time_on_air",
    "lora_symbol_time",
    "lora_time_on_air",
    "time_on_air",
    "time_on_air_us",
]

# LoRaWAN 1.0.4 section 4.1: 8 preamble symbols for LoRa, 5 bytes (40 bits) for FSK.
DEFAULT_LORA_PREAMBLE = 8
DEFAULT_FSK_PREAMBLE_BYTES = 5
_FSK_SYNC_WORD_BYTES = 3


class AirtimeError(LoRaWANError):
    """Parameters that describe no transmission (negative sizes, unknown coding rate...)."""


def _coding_rate_denominator_offset(coding_rate: str) -> int:
    """4/5..4/8 -> 1..4, the ``CR`` of the AN1200.13 formula; the LI suffix of SX1280 is ignored."""
    try:
        num, den = (int(part) for part in coding_rate.removesuffix("LI").split("/"))
    except ValueError:
        raise AirtimeError(f"invalid coding rate {coding_rate!r}") from None
    if num != 4 or not 5 <= den <= 8:
        raise AirtimeError(f"unsupported LoRa coding rate {coding_rate!r}")
    return den - 4


def lora_symbol_time(spreading_factor: int, bandwidth: int) -> float:
    """T_sym = 2^SF / BW in seconds."""
    if not 5 <= spreading_factor <= 12 or bandwidth <= 0:
        raise AirtimeError(f"invalid LoRa parameters SF{spreading_factor} {bandwidth} Hz")
    return (1 << spreading_factor) / bandwidth


def lora_time_on_air(
    payload_size: int,
    spreading_factor: int,
    bandwidth: int,
    coding_rate: str = "4/5",
    *,
    preamble_symbols: int = DEFAULT_LORA_PREAMBLE,
    explicit_header: bool = True,
    crc: bool = True,
    low_data_rate_optimize: bool | None = None,
) -> float:
    """Seconds on air of a LoRa frame with ``payload_size`` PHYPayload bytes.

    Low data rate optimisation defaults to on when a symbol lasts 16 ms or more
    (SF11 and SF12 at 125 kHz, SF12 at 250 kHz), as the SX127x radios require.
    """
    if payload_size < 0 or preamble_symbols < 0:
        raise AirtimeError("payload size and preamble length must not be negative")
    cr = _coding_rate_denominator_offset(coding_rate)
    t_sym = lora_symbol_time(spreading_factor, bandwidth)
    if low_data_rate_optimize is None:
        low_data_rate_optimize = t_sym >= 0.016
    de = 1 if low_data_rate_optimize else 0
    ih = 0 if explicit_header else 1
    numerator = 8 * payload_size - 4 * spreading_factor + 28 + 16 * int(crc) - 20 * ih
    denominator = 4 * (spreading_factor - 2 * de)
    payload_symbols = 8 + max(math.ceil(numerator / denominator) * (cr + 4), 0)
    preamble = (preamble_symbols + 4.25) * t_sym
    return preamble + payload_symbols * t_sym


def fsk_time_on_air(
    payload_size: int,
    bit_rate: int,
    *,
    preamble_bytes: int = DEFAULT_FSK_PREAMBLE_BYTES,
    crc: bool = True,
) -> float:
    """Seconds on air of an FSK frame: preamble, 3-byte sync word, length byte, payload, CRC-16."""
    if payload_size < 0 or bit_rate <= 0 or preamble_bytes < 0:
        raise AirtimeError("invalid FSK parameters")
    total = preamble_bytes + _FSK_SYNC_WORD_BYTES + 1 + payload_size + (2 if crc else 0)
    return total * 8 / bit_rate


def time_on_air(payload_size: int, modulation: Modulation, *, downlink: bool = False) -> float:
    """Seconds on air of a LoRaWAN frame at a band data rate; downlinks omit the LoRa payload CRC."""
    if isinstance(modulation, LoRaModulation):
        return lora_time_on_air(
            payload_size,
            modulation.spreading_factor,
            modulation.bandwidth,
            modulation.coding_rate,
            crc=not downlink,
        )
    if isinstance(modulation, FSKModulation):
        return fsk_time_on_air(payload_size, modulation.bit_rate)
    if isinstance(modulation, LRFHSSModulation):
        raise AirtimeError("LR-FHSS time on air is not supported")
    raise AirtimeError(f"unknown modulation {modulation!r}")


def time_on_air_us(payload_size: int, modulation: Modulation, *, downlink: bool = False) -> int:
    """Whole microseconds on air, rounded up, for concentrator-clock arithmetic."""
    return math.ceil(time_on_air(payload_size, modulation, downlink=downlink) * 1_000_000 - 1e-6)
