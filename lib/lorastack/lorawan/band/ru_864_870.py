"""RU864-870 regional parameters (RP002-1.0.3 section 2.14)."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, fsk, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["RU_864_870"]

_CHANNELS = (Channel(868_900_000), Channel(869_100_000))

RU_864_870 = Band(
    id="RU_864_870",
    name="Russia 864-870 MHz",
    spec_section="RP002-1.0.3 2.14",
    data_rates=rate_table(
        [
            lora(0, 12, 125_000, 59),
            lora(1, 11, 125_000, 59),
            lora(2, 10, 125_000, 59),
            lora(3, 9, 125_000, 123),
            lora(4, 8, 125_000, 230),
            lora(5, 7, 125_000, 230),
            lora(6, 7, 250_000, 230),
            fsk(7, 50_000, 230),
        ]
    ),
    uplink_channels=_CHANNELS,
    downlink_channels=_CHANNELS,
    join_channels=_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    sub_bands=(SubBand(864_000_000, 870_000_000, 0.01, 20 + EIRP_ERP_DELTA),),
    default_max_eirp=16.0,
    tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
    max_adr_data_rate_index=5,
    rx2_frequency=869_100_000,
    rx2_data_rate_index=0,
    beacon=Beacon(3, "4/5", (869_100_000,)),
    # The one band whose ping slots do not share the beacon channel.
    ping_slot_frequencies=(868_900_000,),
    ping_slot_data_rate_index=3,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=rx1_clamped(5, 0, 7, negative_from=8),
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
)
