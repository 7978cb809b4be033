"""Time on air against a published calculator and the Semtech AN1200.13 formula."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan.airtime import (
    AirtimeError,
    fsk_time_on_air,
    lora_symbol_time,
    lora_time_on_air,
    time_on_air,
    time_on_air_us,
)
from lorastack.lorawan.band import FSKModulation, LoRaModulation, LRFHSSModulation, get_band
from lorastack.lorawan.errors import LoRaWANError

# (PHYPayload bytes, SF, BW, milliseconds); 8-symbol preamble, explicit header, CRC, CR 4/5;
# 13 bytes is an empty LoRaWAN uplink (MHDR, FHDR, MIC). The rows (13, 7, 125 kHz),
# (13, 12, 125 kHz) and (51, 12, 125 kHz) match The Things Network airtime calculator
# (avbentem.github.io/airtime-calculator); the others are worked by hand from the formula
# of Semtech AN1200.13 section 4, not taken from a published table.
PUBLISHED = [
    (13, 7, 125_000, 46.336),
    (13, 8, 125_000, 82.432),
    (13, 9, 125_000, 164.864),
    (13, 10, 125_000, 288.768),
    (13, 11, 125_000, 577.536),
    (13, 12, 125_000, 1155.072),
    (13, 7, 250_000, 23.168),
    (51, 12, 125_000, 2465.792),
    (51, 7, 125_000, 102.656),
    (64, 7, 125_000, 118.016),
    (255, 7, 125_000, 399.616),
    (13, 8, 500_000, 20.608),
]


@pytest.mark.parametrize(("size", "sf", "bw", "ms"), PUBLISHED)
def test_lora_published_figures(size: int, sf: int, bw: int, ms: float) -> None:
    assert lora_time_on_air(size, sf, bw) * 1000 == pytest.approx(ms, abs=0.05)


def test_symbol_time() -> None:
    # AN1200.13 section 4: T_sym = 2^SF / BW; SF12/125 kHz = 32.768 ms.
    assert lora_symbol_time(12, 125_000) == pytest.approx(0.032768)


def test_downlink_without_crc_is_shorter_or_equal() -> None:
    eu = get_band("EU_863_870")
    mod = eu.data_rate(5).modulation
    assert time_on_air(13, mod, downlink=True) < time_on_air(13, mod)


def test_low_data_rate_optimisation_forced() -> None:
    # SF12/125 kHz, 30 bytes: ceil(236/40)=6 blocks with LDRO, ceil(236/48)=5 without.
    with_ldro = lora_time_on_air(30, 12, 125_000)
    without = lora_time_on_air(30, 12, 125_000, low_data_rate_optimize=False)
    assert without < with_ldro


def test_fsk() -> None:
    # 50 kbit/s: (5 preamble + 3 sync + 1 length + 13 + 2 CRC) bytes * 8 / 50000 = 3.84 ms.
    assert fsk_time_on_air(13, 50_000) == pytest.approx(0.00384)
    assert time_on_air(13, FSKModulation(50_000)) == pytest.approx(0.00384)


def test_microseconds() -> None:
    assert time_on_air_us(13, LoRaModulation(7, 125_000)) == 46_336


@pytest.mark.parametrize(
    "call",
    [
        lambda: lora_time_on_air(-1, 7, 125_000),
        lambda: lora_time_on_air(10, 13, 125_000),
        lambda: lora_time_on_air(10, 7, 125_000, "2/3"),
        lambda: fsk_time_on_air(10, 0),
        lambda: time_on_air(10, LRFHSSModulation(137_000, "1/3")),
    ],
)
def test_invalid_parameters(call: object) -> None:
    with pytest.raises(LoRaWANError):
        call()  # type: ignore[operator]
    assert issubclass(AirtimeError, LoRaWANError)


@settings(deadline=None, max_examples=100)
@given(size=st.integers(0, 254), sf=st.integers(7, 12), bw=st.sampled_from([125_000, 250_000, 500_000]))
def test_monotonic_in_size_and_sf(size: int, sf: int, bw: int) -> None:
    t = lora_time_on_air(size, sf, bw)
    assert lora_time_on_air(size + 1, sf, bw) >= t
    if sf < 12:
        assert lora_time_on_air(size, sf + 1, bw) > t
