"""ISM2400 (LoRa 2.4 GHz) regional parameters, LoRa Alliance RP-2400 / RP002 ISM2400 annex.

Bandwidth is 812.5 kHz; like The Things Stack the tables store 812 kHz. Frequencies in the
CFList use a 200 Hz step instead of 100 Hz.
"""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["ISM_2400"]

_CHANNELS = tuple(Channel(f, 0, 7) for f in (2_403_000_000, 2_425_000_000, 2_479_000_000))
_BEACON = 2_424_000_000
_CR = "4/8LI"

ISM_2400 = Band(
    id="ISM_2400",
    name="LoRa 2.4 GHz",
    spec_section="RP-2400 (ISM2400)",
    data_rates=rate_table(
        [
            lora(0, 12, 812_000, 59, cr=_CR),
            lora(1, 11, 812_000, 123, cr=_CR),
            lora(2, 10, 812_000, 230, cr=_CR),
            lora(3, 9, 812_000, 230, cr=_CR),
            lora(4, 8, 812_000, 230, cr=_CR),
            lora(5, 7, 812_000, 230, cr=_CR),
            lora(6, 6, 812_000, 230, cr=_CR),
            lora(7, 5, 812_000, 230, cr=_CR),
        ]
    ),
    uplink_channels=_CHANNELS,
    downlink_channels=_CHANNELS,
    join_channels=_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    sub_bands=(SubBand(2_400_000_000, 2_500_000_000, 1.0, 8 + EIRP_ERP_DELTA),),
    default_max_eirp=10.0,
    tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
    max_adr_data_rate_index=7,
    rx2_frequency=2_423_000_000,
    rx2_data_rate_index=0,
    beacon=Beacon(3, _CR, (_BEACON,)),
    ping_slot_frequencies=(_BEACON,),
    ping_slot_data_rate_index=3,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=rx1_clamped(5, 0, 7, negative_from=8),
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
    freq_multiplier=200,
)
