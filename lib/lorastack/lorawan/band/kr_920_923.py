"""KR920-923 regional parameters (RP002-1.0.3 section 2.9)."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["KR_920_923"]

_CHANNELS = (Channel(922_100_000), Channel(922_300_000), Channel(922_500_000))
_BEACON = 923_100_000

KR_920_923 = Band(
    id="KR_920_923",
    name="South Korea 920-923 MHz",
    spec_section="RP002-1.0.3 2.9",
    data_rates=rate_table(
        [
            lora(0, 12, 125_000, 59),
            lora(1, 11, 125_000, 59),
            lora(2, 10, 125_000, 59),
            lora(3, 9, 125_000, 123),
            lora(4, 8, 125_000, 250),
            lora(5, 7, 125_000, 250),
        ]
    ),
    uplink_channels=_CHANNELS,
    downlink_channels=_CHANNELS,
    join_channels=_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    sub_bands=(SubBand(920_000_000, 923_000_000, 1.0, 14 + EIRP_ERP_DELTA),),
    default_max_eirp=14.0,
    tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
    max_adr_data_rate_index=5,
    rx2_frequency=921_900_000,
    rx2_data_rate_index=0,
    beacon=Beacon(3, "4/5", (_BEACON,)),
    ping_slot_frequencies=(_BEACON,),
    ping_slot_data_rate_index=3,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=rx1_clamped(5, 0, 5, negative_from=8),
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
)
