"""US902-928 regional parameters (RP002-1.0.3 section 2.5): 64+8 uplink channels, 8 downlink channels."""

from __future__ import annotations

from lorastack.lorawan.band._common import ch_mask_72, lora, lrfhss, rate_table, rx1_by_table
from lorastack.lorawan.band.base import EIRP_ERP_DELTA, Band, BandError, Beacon, CFListType, Channel, SubBand

__all__ = ["US_902_928", "uplink_channel_index_64_8"]

_UPLINK = tuple(Channel(902_300_000 + 200_000 * i, 0, 3) for i in range(64)) + tuple(
    Channel(903_000_000 + 1_600_000 * i, 4, 6) for i in range(8)
)
_DOWNLINK = tuple(Channel(923_300_000 + 600_000 * i, 8, 13) for i in range(8))
_BEACONS = tuple(ch.frequency for ch in _DOWNLINK)

# RP002-1.0.3 table 2.5.7 (RX1DROffset 0..3); DR5/DR6 are the LR-FHSS uplink rates.
_RX1 = (
    (10, 9, 8, 8),
    (11, 10, 9, 8),
    (12, 11, 10, 9),
    (13, 12, 11, 10),
    (13, 13, 12, 11),
    (10, 9, 8, 8),
    (11, 10, 9, 8),
)


def uplink_channel_index_64_8(frequency: int, narrow_base: int, wide_base: int) -> int:
    """Channel index 0..71 of an uplink frequency in a 64 x 200 kHz + 8 x 1.6 MHz plan."""
    narrow, rest = divmod(frequency - narrow_base, 200_000)
    if rest == 0 and 0 <= narrow < 64:
        return narrow
    wide, rest = divmod(frequency - wide_base, 1_600_000)
    if rest == 0 and 0 <= wide < 8:
        return 64 + wide
    raise BandError(f"{frequency} Hz is not an uplink channel of this band")


def _rx1_frequency(band: Band, uplink_frequency: int) -> int:
    index = uplink_channel_index_64_8(uplink_frequency, 902_300_000, 903_000_000)
    return band.downlink_channels[index % 8].frequency


US_902_928 = Band(
    id="US_902_928",
    name="United States 902-928 MHz",
    spec_section="RP002-1.0.3 2.5",
    data_rates=rate_table(
        [
            lora(0, 10, 125_000, 19),
            lora(1, 9, 125_000, 61),
            lora(2, 8, 125_000, 133),
            lora(3, 7, 125_000, 250),
            lora(4, 8, 500_000, 250),
            lrfhss(5, 1_523_000, "1/3", 58),
            lrfhss(6, 1_523_000, "2/3", 133),
            lora(8, 12, 500_000, 41),
            lora(9, 11, 500_000, 117),
            lora(10, 10, 500_000, 250),
            lora(11, 9, 500_000, 250),
            lora(12, 8, 500_000, 250),
            lora(13, 7, 500_000, 250),
        ]
    ),
    uplink_channels=_UPLINK,
    downlink_channels=_DOWNLINK,
    join_channels=_UPLINK,
    max_uplink_channels=72,
    max_downlink_channels=8,
    # FCC part 15.247: no duty cycle; 21 dBm (+antenna) up, 26 dBm down, stated as ERP.
    sub_bands=(
        SubBand(902_300_000, 914_900_000, 1.0, 21 + EIRP_ERP_DELTA),
        SubBand(923_300_000, 927_500_000, 1.0, 26 + EIRP_ERP_DELTA),
    ),
    default_max_eirp=30.0,
    tx_power_offsets=tuple(float(-2 * i) for i in range(15)),
    max_adr_data_rate_index=3,
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
)
