"""CN470-510 regional parameters, the 96-uplink/48-downlink channel plan of RP001-1.1 rev B section 2.6.

RP002's 20 MHz and 26 MHz antenna plans (CN_470_510_20_A/B, _26_A/B) are not modelled here.
"""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_96, lora, rate_table, rx1_clamped
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, BandError, Beacon, CFListType, Channel, SubBand

__all__ = ["CN_470_510"]

_UPLINK = tuple(Channel(470_300_000 + 200_000 * i) for i in range(96))
_DOWNLINK = tuple(Channel(500_300_000 + 200_000 * i) for i in range(48))
_BEACONS = tuple(508_300_000 + 200_000 * i for i in range(8))


def _rx1_frequency(band: Band, uplink_frequency: int) -> int:
    index, rest = divmod(uplink_frequency - 470_300_000, 200_000)
    if rest or not 0 <= index < 96:
        raise BandError(f"{uplink_frequency} Hz is not an uplink channel of CN_470_510")
    return band.downlink_channels[index % 48].frequency


CN_470_510 = Band(
    id="CN_470_510",
    name="China 470-510 MHz",
    spec_section="RP001-1.1 rev B 2.6",
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
    uplink_channels=_UPLINK,
    downlink_channels=_DOWNLINK,
    join_channels=_UPLINK,
    max_uplink_channels=96,
    max_downlink_channels=48,
    sub_bands=(SubBand(470_000_000, 510_000_000, 1.0, 17 + EIRP_ERP_DELTA),),
    default_max_eirp=19.15,
    tx_power_offsets=(0, -2, -4, -6, -8, -10, -12, -14),
    max_adr_data_rate_index=5,
    rx2_frequency=505_300_000,
    rx2_data_rate_index=0,
    beacon=Beacon(2, "4/5", _BEACONS),
    ping_slot_frequencies=_BEACONS,
    ping_slot_data_rate_index=2,
    cf_list_type=CFListType.CHANNEL_MASKS,
    rx1_data_rate_fn=rx1_clamped(5, 0, 5, negative_from=8),
    rx1_frequency_fn=_rx1_frequency,
    ch_mask_fn=ch_mask_96,
)
