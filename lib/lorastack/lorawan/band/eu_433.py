"""EU433 regional parameters (RP002-1.0.3 section 2.6)."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, fsk, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["EU_433"]

_CHANNELS = (Channel(433_175_000), Channel(433_375_000), Channel(433_575_000))
_BEACON = 434_655_000

EU_433 = Band(
    id="EU_433",
    name="Europe 433 MHz",
    spec_section="RP002-1.0.3 2.6",
    data_rates=rate_table(
        [
            lora(0, 12, 125_000, 59),
            lora(1, 11, 125_000, 59),
            lora(2, 10, 125_000, 59),
            lora(3, 9, 125_000, 123),
            lora(4, 8, 125_000, 250),
            lora(5, 7, 125_000, 250),
            lora(6, 7, 250_000, 250),
            fsk(7, 50_000, 250),
        ]
    ),
    uplink_channels=_CHANNELS,
    downlink_channels=_CHANNELS,
    join_channels=_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    sub_bands=(SubBand(433_175_000, 434_665_000, 0.1, 10 + EIRP_ERP_DELTA),),
    default_max_eirp=12.15,
    tx_power_offsets=(0, -2, -4, -6, -8, -10),
    max_adr_data_rate_index=5,
    rx2_frequency=434_665_000,
    rx2_data_rate_index=0,
    beacon=Beacon(3, "4/5", (_BEACON,)),
    ping_slot_frequencies=(_BEACON,),
    ping_slot_data_rate_index=3,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=rx1_clamped(5, 0, 7, negative_from=8),
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
)
