"""EU863-870 regional parameters (RP002-1.0.3 section 2.2), including the LR-FHSS rates DR8..DR11."""

from __future__ import annotations

from lorastack.lorawan.band._common import (
    ch_mask_16,
    fsk,
    lora,
    lrfhss,
    rate_table,
    rx1_by_table,
    rx1_same_frequency,
)
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["EU_863_870"]

_DEFAULT_CHANNELS = (Channel(868_100_000), Channel(868_300_000), Channel(868_500_000))
_BEACON = 869_525_000

# RP002-1.0.3 table 2.2.7: rows DR0..DR7 are max(0, DR - offset); the LR-FHSS uplink
# rates answer on a LoRa rate.
_RX1 = (
    *(tuple(max(0, dr - off) for off in range(6)) for dr in range(8)),
    (1, 0, 0, 0, 0, 0),
    (2, 1, 0, 0, 0, 0),
    (1, 0, 0, 0, 0, 0),
    (2, 1, 0, 0, 0, 0),
)

EU_863_870 = Band(
    id="EU_863_870",
    name="Europe 863-870 MHz",
    spec_section="RP002-1.0.3 2.2",
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
            lrfhss(8, 137_000, "1/3", 58),
            lrfhss(9, 137_000, "2/3", 123),
            lrfhss(10, 336_000, "1/3", 58),
            lrfhss(11, 336_000, "2/3", 123),
        ]
    ),
    uplink_channels=_DEFAULT_CHANNELS,
    downlink_channels=_DEFAULT_CHANNELS,
    join_channels=_DEFAULT_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    # ETSI EN 300 220-2 sub-bands K, L, M, N, P and R (O is not used by LoRaWAN).
    sub_bands=(
        SubBand(863_000_000, 865_000_000, 0.001, 14 + EIRP_ERP_DELTA),
        SubBand(865_000_000, 868_000_000, 0.01, 14 + EIRP_ERP_DELTA),
        SubBand(868_000_000, 868_600_000, 0.01, 14 + EIRP_ERP_DELTA),
        SubBand(868_700_000, 869_200_000, 0.001, 14 + EIRP_ERP_DELTA),
        SubBand(869_400_000, 869_650_000, 0.1, 27 + EIRP_ERP_DELTA),
        SubBand(869_700_000, 870_000_000, 0.01, 14 + EIRP_ERP_DELTA),
    ),
    default_max_eirp=16.0,
    tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
    max_adr_data_rate_index=5,
    rx2_frequency=869_525_000,
    rx2_data_rate_index=0,
    beacon=Beacon(3, "4/5", (_BEACON,)),
    ping_slot_frequencies=(_BEACON,),
    ping_slot_data_rate_index=3,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=rx1_by_table(_RX1),
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
)
