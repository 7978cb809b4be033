"""Regional parameters against RP002-1.0.3 tables (and The Things Stack pkg/band as second source)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan.band import (
    ALL_BANDS,
    BandError,
    CFListType,
    FSKModulation,
    LoRaModulation,
    LRFHSSModulation,
    get_band,
)
from lorastack.lorawan.errors import LoRaWANError

TTS_IDS = [
    "EU_863_870",
    "US_902_928",
    "AU_915_928",
    "AS_923",
    "AS_923_2",
    "AS_923_3",
    "AS_923_4",
    "CN_470_510",
    "KR_920_923",
    "IN_865_867",
    "RU_864_870",
    "CN_779_787",
    "EU_433",
    "ISM_2400",
]


def test_every_tts_band_id_resolves() -> None:
    assert sorted(ALL_BANDS) == sorted(TTS_IDS)
    for band_id in TTS_IDS:
        assert get_band(band_id).id == band_id


def test_unknown_band_is_a_lorawan_error() -> None:
    with pytest.raises(LoRaWANError):
        get_band("MARS_1")


# (band, DR, SF, BW) -- RP002-1.0.3 tables 2.2.3 (EU), 2.5.3 (US), 2.7.3 (AU), 2.8.3 (AS), 2.9.3 (KR).
@pytest.mark.parametrize(
    ("band_id", "dr", "sf", "bw"),
    [
        ("EU_863_870", 0, 12, 125_000),
        ("EU_863_870", 5, 7, 125_000),
        ("EU_863_870", 6, 7, 250_000),
        ("US_902_928", 0, 10, 125_000),
        ("US_902_928", 4, 8, 500_000),
        ("US_902_928", 8, 12, 500_000),
        ("US_902_928", 13, 7, 500_000),
        ("AU_915_928", 6, 8, 500_000),
        ("AS_923", 2, 10, 125_000),
        ("KR_920_923", 5, 7, 125_000),
        ("ISM_2400", 7, 5, 812_000),
    ],
)
def test_lora_data_rates(band_id: str, dr: int, sf: int, bw: int) -> None:
    mod = get_band(band_id).data_rate(dr).modulation
    assert isinstance(mod, LoRaModulation)
    assert (mod.spreading_factor, mod.bandwidth) == (sf, bw)


def test_fsk_and_lrfhss_rates() -> None:
    # RP002-1.0.3 table 2.2.3: EU DR7 FSK 50 kbps, DR8..DR11 LR-FHSS; table 2.5.3: US DR5/DR6.
    eu = get_band("EU_863_870")
    assert eu.data_rate(7).modulation == FSKModulation(50_000)
    assert eu.data_rate(7).bit_rate == 50_000
    assert eu.data_rate(8).modulation == LRFHSSModulation(137_000, "1/3")
    assert get_band("US_902_928").data_rate(6).modulation == LRFHSSModulation(1_523_000, "2/3")
    # RP002-1.0.3 table 2.2.3 lists bit/s rounded: 250, 440, 980, 1760, 3125, 5470, 11000.
    listed = [250, 440, 980, 1760, 3125, 5470, 11000]
    for dr, bits in enumerate(listed):
        assert abs(eu.data_rate(dr).bit_rate - bits) / bits < 0.03


def test_undefined_data_rate_raises() -> None:
    with pytest.raises(BandError):
        get_band("US_902_928").data_rate(7)


# (band, DR, dwell, M, N) -- RP002-1.0.3 tables 2.2.6, 2.5.6, 2.8.6 (dwell time), 2.7.6 (AU dwell).
@pytest.mark.parametrize(
    ("band_id", "dr", "dwell", "m", "n"),
    [
        ("EU_863_870", 0, False, 59, 51),
        ("EU_863_870", 3, False, 123, 115),
        ("EU_863_870", 5, False, 230, 222),
        ("US_902_928", 0, False, 19, 11),
        ("US_902_928", 3, False, 250, 242),
        ("AS_923", 0, True, 0, 0),
        ("AS_923", 2, True, 19, 11),
        ("AS_923", 3, True, 61, 53),
        ("AS_923", 4, True, 133, 125),
        ("AS_923", 2, False, 123, 115),
        ("AU_915_928", 2, True, 19, 11),
        ("AU_915_928", 2, False, 59, 51),
    ],
)
def test_max_payload_sizes(band_id: str, dr: int, dwell: bool, m: int, n: int) -> None:
    rate = get_band(band_id).data_rate(dr)
    assert rate.max_mac_payload_size(dwell) == m
    assert rate.max_frm_payload_size(dwell) == n


def test_frm_payload_shrinks_with_fopts() -> None:
    assert get_band("EU_863_870").data_rate(0).max_frm_payload_size(f_opts_len=15) == 36


# (band, uplink DR, RX1DROffset, dwell, RX1 DR) -- RP002-1.0.3 tables 2.x.7.
@pytest.mark.parametrize(
    ("band_id", "dr", "offset", "dwell", "expected"),
    [
        ("EU_863_870", 5, 0, False, 5),
        ("EU_863_870", 5, 5, False, 0),
        ("EU_863_870", 2, 3, False, 0),
        ("EU_863_870", 8, 0, False, 1),
        ("US_902_928", 0, 0, False, 10),
        ("US_902_928", 3, 0, False, 13),
        ("US_902_928", 4, 0, False, 13),
        ("US_902_928", 4, 3, False, 11),
        ("AU_915_928", 0, 0, False, 8),
        ("AU_915_928", 5, 0, False, 13),
        ("AU_915_928", 6, 5, False, 9),
        ("AS_923", 5, 0, False, 5),
        ("AS_923", 5, 6, False, 6),
        ("AS_923", 5, 7, False, 7),
        ("AS_923", 0, 0, True, 2),
        ("AS_923", 3, 5, True, 2),
        ("AS_923", 3, 5, False, 0),
        ("KR_920_923", 5, 5, False, 0),
        ("CN_470_510", 4, 2, False, 2),
        ("IN_865_867", 5, 6, False, 5),
        ("IN_865_867", 3, 7, False, 5),
        ("RU_864_870", 7, 5, False, 2),
    ],
)
def test_rx1_data_rate(band_id: str, dr: int, offset: int, dwell: bool, expected: int) -> None:
    assert get_band(band_id).rx1_data_rate(dr, offset, dwell) == expected


def test_rx1_data_rate_rejects_offsets_the_band_lacks() -> None:
    with pytest.raises(BandError):
        get_band("US_902_928").rx1_data_rate(0, 4)
    with pytest.raises(BandError):
        get_band("EU_863_870").rx1_data_rate(14, 0)


# (band, uplink Hz, RX1 Hz) -- RP002-1.0.3 2.5.7 (US: 923.3 + (ch mod 8) * 0.6 MHz), 2.7.7, RP001-1.1 2.6.7.
@pytest.mark.parametrize(
    ("band_id", "uplink", "rx1"),
    [
        ("EU_863_870", 868_100_000, 868_100_000),
        ("EU_863_870", 867_300_000, 867_300_000),
        ("US_902_928", 902_300_000, 923_300_000),
        ("US_902_928", 903_900_000, 923_300_000),
        ("US_902_928", 904_100_000, 923_900_000),
        ("US_902_928", 904_600_000, 923_900_000),
        ("AU_915_928", 916_800_000, 923_300_000),
        ("AU_915_928", 917_500_000, 923_900_000),
        ("CN_470_510", 470_300_000, 500_300_000),
        ("CN_470_510", 479_900_000, 500_300_000),
    ],
)
def test_rx1_frequency(band_id: str, uplink: int, rx1: int) -> None:
    assert get_band(band_id).rx1_frequency(uplink) == rx1


def test_rx1_frequency_off_grid_raises() -> None:
    with pytest.raises(BandError):
        get_band("US_902_928").rx1_frequency(868_100_000)


# RX2 defaults -- RP002-1.0.3 2.x.7 ("RX2 receive window").
@pytest.mark.parametrize(
    ("band_id", "freq", "dr"),
    [
        ("EU_863_870", 869_525_000, 0),
        ("US_902_928", 923_300_000, 8),
        ("AU_915_928", 923_300_000, 8),
        ("AS_923", 923_200_000, 2),
        ("AS_923_2", 921_400_000, 2),
        ("AS_923_3", 916_600_000, 2),
        ("AS_923_4", 917_300_000, 2),
        ("CN_470_510", 505_300_000, 0),
        ("KR_920_923", 921_900_000, 0),
        ("IN_865_867", 866_550_000, 2),
        ("RU_864_870", 869_100_000, 0),
        ("CN_779_787", 786_000_000, 0),
        ("EU_433", 434_665_000, 0),
        ("ISM_2400", 2_423_000_000, 0),
    ],
)
def test_rx2_defaults(band_id: str, freq: int, dr: int) -> None:
    band = get_band(band_id)
    assert (band.rx2_frequency, band.rx2_data_rate_index) == (freq, dr)


def test_default_channels_and_cflist() -> None:
    # RP002-1.0.3 2.2.2: three default channels; 2.5.2: 64 + 8 uplink channels.
    eu = get_band("EU_863_870")
    assert [c.frequency for c in eu.uplink_channels] == [868_100_000, 868_300_000, 868_500_000]
    assert eu.cf_list_type is CFListType.FREQUENCIES
    us = get_band("US_902_928")
    assert len(us.uplink_channels) == 72
    assert us.uplink_channels[63].frequency == 914_900_000
    assert us.uplink_channels[71].frequency == 914_200_000
    assert us.cf_list_type is CFListType.CHANNEL_MASKS
    assert len(get_band("CN_779_787").join_channels) == 6


def test_tx_power_table() -> None:
    # RP002-1.0.3 table 2.2.3 (EU: MaxEIRP - 2*index, 16 dBm default) and 2.5.3 (US: 30 dBm).
    eu = get_band("EU_863_870")
    assert eu.tx_power(0) == 16
    assert eu.tx_power(7) == 2
    assert eu.max_tx_power_index == 7
    assert get_band("US_902_928").tx_power(14) == 2
    with pytest.raises(BandError):
        eu.tx_power(8)


def test_ch_mask_meanings() -> None:
    # RP002-1.0.3 table 2.5.5 (US902-928 ChMaskCntl).
    us = get_band("US_902_928")
    block1 = us.parse_ch_mask(0x00FF, 1)
    assert sorted(block1) == list(range(16, 32))
    assert [block1[i] for i in (16, 23, 24, 31)] == [True, True, False, False]
    assert us.parse_ch_mask(0x0002, 4) == {64 + i: i == 1 for i in range(8)}
    sub_band_2 = us.parse_ch_mask(0x0002, 5)
    assert [i for i, on in sub_band_2.items() if on] == [*range(8, 16), 65]
    all_on = us.parse_ch_mask(0x0000, 6)
    assert all(all_on[i] for i in range(64)) and not any(all_on[i] for i in range(64, 72))
    assert not any(us.parse_ch_mask(0x0000, 7).values())
    eu = get_band("EU_863_870")
    assert eu.parse_ch_mask(0x0005, 0)[2] is True
    with pytest.raises(BandError):
        eu.parse_ch_mask(0, 5)
    cn = get_band("CN_470_510")
    assert sorted(cn.parse_ch_mask(0xFFFF, 5)) == list(range(80, 96))


def test_beacon_and_ping_slot() -> None:
    # RP002-1.0.3 2.5.8: US beacon hops over 923.3 + 0.6*n MHz every beacon period (128 s).
    us = get_band("US_902_928")
    assert us.beacon.data_rate_index == 8
    assert us.beacon.frequency(0) == 923_300_000
    assert us.beacon.frequency(128 * 3) == 925_100_000
    assert us.ping_slot_frequency(dev_addr=1, beacon_time=128) == 924_500_000
    eu = get_band("EU_863_870")
    assert (eu.beacon.data_rate_index, eu.beacon.frequency(12345)) == (3, 869_525_000)
    assert get_band("RU_864_870").ping_slot_frequency(7, 0) == 868_900_000


def test_delays_and_counters() -> None:
    # RP002-1.0.3 2.x.9 default settings.
    for band in ALL_BANDS.values():
        assert (band.receive_delay_1, band.receive_delay_2) == (1.0, 2.0)
        assert (band.join_accept_delay_1, band.join_accept_delay_2) == (5.0, 6.0)
        assert band.max_fcnt_gap == 16384
        assert (band.adr_ack_limit, band.adr_ack_delay) == (64, 32)


def test_sub_bands() -> None:
    eu = get_band("EU_863_870")
    g1 = eu.find_sub_band(869_525_000)
    assert g1 is not None and g1.duty_cycle == 0.1
    m = eu.find_sub_band(868_100_000)
    assert m is not None and m.duty_cycle == 0.01
    assert eu.find_sub_band(869_300_000) is None


def test_find_data_rate_prefers_uplink_index() -> None:
    us = get_band("US_902_928")
    assert us.find_data_rate(LoRaModulation(8, 500_000)).index == 4
    assert us.find_data_rate(LoRaModulation(8, 500_000), uplink=False).index == 12
    with pytest.raises(BandError):
        us.find_data_rate(LoRaModulation(12, 125_000))


@settings(deadline=None, max_examples=100)
@given(band_id=st.sampled_from(TTS_IDS), data=st.data())
def test_rx1_data_rate_is_a_defined_rate(band_id: str, data: st.DataObject) -> None:
    band = get_band(band_id)
    dr = data.draw(st.sampled_from(sorted(band.data_rates)))
    offset = data.draw(st.integers(0, 7))
    dwell = data.draw(st.booleans())
    try:
        rx1 = band.rx1_data_rate(dr, offset, dwell)
    except BandError:
        return
    assert rx1 in band.data_rates


@settings(deadline=None, max_examples=100)
@given(band_id=st.sampled_from(TTS_IDS), mask=st.integers(0, 0xFFFF), cntl=st.integers(0, 7))
def test_ch_mask_only_names_existing_channels(band_id: str, mask: int, cntl: int) -> None:
    band = get_band(band_id)
    try:
        result = band.parse_ch_mask(mask, cntl)
    except BandError:
        return
    assert all(0 <= i < band.max_uplink_channels for i in result)
