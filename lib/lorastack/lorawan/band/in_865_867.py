"""IN865-867 regional parameters (RP002-1.0.3 section 2.10)."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_16, fsk, lora, rate_table, rx1_clamped, rx1_same_frequency
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, Beacon, CFListType, Channel, SubBand

__all__ = ["IN_865_867"]

_CHANNELS = (Channel(865_062_500), Channel(865_402_500), Channel(865_985_000))
_BEACON = 866_500_000
_CLAMPED = rx1_clamped(7, 0, 7)


def _rx1_data_rate(dr: int, offset: int, dwell: bool) -> int:
    # DR6 is reserved in IN865: a raised LoRa rate stops at DR5 (SF7).
    result = _CLAMPED(dr, offset, dwell)
    return 5 if result == 6 or (dr <= 5 and result > 5) else result


IN_865_867 = Band(
    id="IN_865_867",
    name="India 865-867 MHz",
    spec_section="RP002-1.0.3 2.10",
    data_rates=rate_table(
        [
            lora(0, 12, 125_000, 59),
            lora(1, 11, 125_000, 59),
            lora(2, 10, 125_000, 59),
            lora(3, 9, 125_000, 123),
            lora(4, 8, 125_000, 250),
            lora(5, 7, 125_000, 250),
            fsk(7, 50_000, 250),
        ]
    ),
    uplink_channels=_CHANNELS,
    downlink_channels=_CHANNELS,
    join_channels=_CHANNELS,
    max_uplink_channels=16,
    max_downlink_channels=16,
    sub_bands=(SubBand(865_000_000, 867_000_000, 1.0, 14 + EIRP_ERP_DELTA),),
    default_max_eirp=30.0,
    tx_power_offsets=tuple(float(-2 * i) for i in range(11)),
    max_adr_data_rate_index=5,
    rx2_frequency=866_550_000,
    rx2_data_rate_index=2,
    beacon=Beacon(4, "4/5", (_BEACON,)),
    ping_slot_frequencies=(_BEACON,),
    ping_slot_data_rate_index=4,
    cf_list_type=CFListType.FREQUENCIES,
    rx1_data_rate_fn=_rx1_data_rate,
    rx1_frequency_fn=rx1_same_frequency,
    ch_mask_fn=ch_mask_16,
)
