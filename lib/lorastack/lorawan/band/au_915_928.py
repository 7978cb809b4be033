"""AU915-928 regional parameters (RP002-1.0.3 section 2.7): 64+8 uplink channels, dwell-time sizes."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_72, lora, lrfhss, rate_table, rx1_by_table
from lorastack.lorawan.band.base import Band, Beacon, CFListType, Channel, SubBand
from lorastack.lorawan.band.us_902_928 import uplink_channel_index_64_8

__all__ = ["AU_915_928"]

_UPLINK = tuple(Channel(915_200_000 + 200_000 * i, 0, 5) for i in range(64)) + tuple(
    Channel(915_900_000 + 1_600_000 * i, 6, 7) for i in range(8)
)
_DOWNLINK = tuple(Channel(923_300_000 + 600_000 * i, 8, 13) for i in range(8))
_BEACONS = tuple(ch.frequency for ch in _DOWNLINK)

# RP002-1.0.3 table 2.7.7 (RX1DROffset 0..5); DR7 is the LR-FHSS uplink rate.
_RX1 = (
    (8, 8, 8, 8, 8, 8),
    (9, 8, 8, 8, 8, 8),
    (10, 9, 8, 8, 8, 8),
    (11, 10, 9, 8, 8, 8),
    (12, 11, 10, 9, 8, 8),
    (13, 12, 11, 10, 9, 8),
    (13, 13, 12, 11, 10, 9),
    (9, 8, 8, 8, 8, 8),
)


def _rx1_frequency(band: Band, uplink_frequency: int) -> int:
    index = uplink_channel_index_64_8(uplink_frequency, 915_200_000, 915_900_000)
    return band.downlink_channels[index % 8].frequency


AU_915_928 = Band(
    id="AU_915_928",
    name="Australia 915-928 MHz",
    spec_section="RP002-1.0.3 2.7",
    data_rates=rate_table(
        [
            lora(0, 12, 125_000, 59, 0),
            lora(1, 11, 125_000, 59, 0),
            lora(2, 10, 125_000, 59, 19),
            lora(3, 9, 125_000, 123, 61),
            lora(4, 8, 125_000, 250, 133),
            lora(5, 7, 125_000, 250, 250),
            lora(6, 8, 500_000, 250, 250),
            lrfhss(7, 1_523_000, "1/3", 58, 58),
            lora(8, 12, 500_000, 61, 61),
            lora(9, 11, 500_000, 137, 137),
            lora(10, 10, 500_000, 250, 250),
            lora(11, 9, 500_000, 250, 250),
            lora(12, 8, 500_000, 250, 250),
            lora(13, 7, 500_000, 250, 250),
        ]
    ),
    uplink_channels=_UPLINK,
    downlink_channels=_DOWNLINK,
    join_channels=_UPLINK,
    max_uplink_channels=72,
    max_downlink_channels=8,
    # LIPD Class Licence 2015: no duty cycle, 30 dBm EIRP.
    sub_bands=(SubBand(915_000_000, 928_000_000, 1.0, 30.0),),
    default_max_eirp=30.0,
    tx_power_offsets=tuple(float(-2 * i) for i in range(15)),
    max_adr_data_rate_index=5,
    rx2_frequency=923_300_000,
    rx2_data_rate_index=8,
    beacon=Beacon(8, "4/5", _BEACONS),
    ping_slot_frequencies=_BEACONS,
    ping_slot_data_rate_index=8,
    cf_list_type=CFListType.CHANNEL_MASKS,
    rx1_data_rate_fn=rx1_by_table(_RX1),
    rx1_frequency_fn=_rx1_frequency,
    ch_mask_fn=ch_mask_72,
    boot_uplink_dwell_time=True,
    boot_downlink_dwell_time=False,
    tx_param_setup_req_support=True,
)
