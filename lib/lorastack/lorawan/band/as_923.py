"""AS923 groups 1-4 regional parameters (RP002-1.0.3 section 2.8), with dwell-time payload sizes.

Groups 2, 3 and 4 are group 1 shifted by AS923_FREQ_OFFSET: -1.8, -6.6 and -5.9 MHz.
"""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, fsk, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import Band, Beacon, CFListType, Channel, SubBand

__all__ = ["AS_923", "AS_923_2", "AS_923_3", "AS_923_4", "as923_group"]

# (band id, frequency offset, common sub-band) per group.
_GROUPS = {
    1: ("AS_923", 0, (923_000_000, 923_500_000)),
    2: ("AS_923_2", -1_800_000, (921_400_000, 922_000_000)),
    3: ("AS_923_3", -6_600_000, (916_500_000, 917_000_000)),
    4: ("AS_923_4", -5_900_000, (917_300_000, 917_500_000)),
}

# Uplink dwell time on: DR0 and DR1 cannot be used (size 0), the others shrink.
_RATES = rate_table(
    [
        lora(0, 12, 125_000, 59, 0),
        lora(1, 11, 125_000, 59, 0),
        lora(2, 10, 125_000, 123, 19),
        lora(3, 9, 125_000, 123, 61),
        lora(4, 8, 125_000, 230, 133),
        lora(5, 7, 125_000, 230, 250),
        lora(6, 7, 250_000, 230, 250),
        fsk(7, 50_000, 230, 250),
    ]
)


def as923_group(group: int) -> Band:
    band_id, offset, (sub_min, sub_max) = _GROUPS[group]
    channels = (Channel(923_200_000 + offset), Channel(923_400_000 + offset))
    beacon = 923_400_000 + offset
    return Band(
        id=band_id,
        name=f"Asia 923 MHz group {group}",
        spec_section="RP002-1.0.3 2.8",
        data_rates=_RATES,
        uplink_channels=channels,
        downlink_channels=channels,
        join_channels=channels,
        max_uplink_channels=16,
        max_downlink_channels=16,
        sub_bands=(SubBand(sub_min, sub_max, 0.01, 16.0),),
        default_max_eirp=16.0,
        tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
        max_adr_data_rate_index=5,
        rx2_frequency=923_200_000 + offset,
        rx2_data_rate_index=2,
        beacon=Beacon(3, "4/5", (beacon,)),
        ping_slot_frequencies=(beacon,),
        ping_slot_data_rate_index=3,
        cf_list_type=CFListType.FREQUENCIES,
        # RP002-1.0.3 table 2.8.7: offsets 6 and 7 raise the rate by 1 and 2; with
        # downlink dwell time on, RX1 never goes below DR2.
        rx1_data_rate_fn=rx1_clamped(7, 0, 7, lowest_dwell=2),
        rx1_frequency_fn=rx1_same_frequency,
        ch_mask_fn=ch_mask_16,
        tx_param_setup_req_support=True,
    )


AS_923 = as923_group(1)
AS_923_2 = as923_group(2)
AS_923_3 = as923_group(3)
AS_923_4 = as923_group(4)
