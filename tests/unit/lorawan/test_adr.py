"""ADR scenarios worked by hand through The Things Stack's algorithm (pkg/networkserver/mac/adr.go).

Floors: SX1276 datasheet table 13 (SF7 -7.5 dB ... SF12 -20 dB at 125 kHz), margin 15 dB,
2.5 dB per data-rate step, 2.5 dB safety margin below 20 uplinks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan.adr import (
    DEMODULATION_FLOOR,
    ADRParameters,
    ADRUplink,
    adapt_data_rate,
    loss_rate,
)
from lorastack.lorawan.band import get_band

EU = get_band("EU_863_870")


def ups(snr: float | None, dr: int, f_cnts: list[int] | range, gateways: int = 1) -> list[ADRUplink]:
    return [ADRUplink(f, dr, snr, gateways) for f in f_cnts]


def test_floor_table() -> None:
    assert DEMODULATION_FLOOR[(12, 125_000)] == -20
    assert DEMODULATION_FLOOR[(7, 125_000)] == -7.5
    assert DEMODULATION_FLOOR[(7, 500_000)] == -1.5


# (uplinks, current, expected) -- each line's arithmetic in the comment.
@pytest.mark.parametrize(
    ("uplinks", "current", "expected"),
    [
        # 5 - (-20) - 15 = 10 dB -> 4 steps: DR0 -> DR4, nothing left for power.
        (ups(5, 0, range(20)), ADRParameters(0, 0, 1), ADRParameters(4, 0, 1)),
        # 15 dB -> DR5 (cap, 12.5 dB), 2.5 dB left -> one power step (2 dB).
        (ups(10, 0, range(20)), ADRParameters(0, 0, 1), ADRParameters(5, 1, 1)),
        # 5 uplinks: -10 + 20 - 15 - 2.5 = -7.5 dB, nothing to gain, NbTrans untouched.
        (ups(-10, 0, range(5)), ADRParameters(0, 0, 2), ADRParameters(0, 0, 2)),
        # DR5 at index 3 with -12.5 dB margin: power back to index 0.
        (ups(-5, 5, range(20)), ADRParameters(5, 3, 1), ADRParameters(5, 0, 1)),
        # 9 of 29 frames lost (31 %): NbTrans 3.
        (ups(-20, 0, [i for i in range(30) if i % 3 != 2]), ADRParameters(0, 0, 1), ADRParameters(0, 0, 3)),
        # 4 of 24 lost (16.7 %): NbTrans 2 + 1 // 2 = 2.
        (ups(-20, 0, [i for i in range(24) if i % 6 != 5]), ADRParameters(0, 0, 1), ADRParameters(0, 0, 2)),
        # No loss with NbTrans 3: 1 + 3 // 3 = 2.
        (ups(-20, 0, range(20)), ADRParameters(0, 0, 3), ADRParameters(0, 0, 2)),
    ],
)
def test_scenarios(uplinks: list[ADRUplink], current: ADRParameters, expected: ADRParameters) -> None:
    assert adapt_data_rate(EU, uplinks, current) == expected


def test_only_uplinks_at_the_current_rate_count() -> None:
    # The strong uplinks were at DR3; only the last two at DR0 are considered (5 - -20 - 15 - 2.5 = 7.5).
    history = ups(20, 3, range(10)) + ups(5, 0, range(10, 12))
    assert adapt_data_rate(EU, history, ADRParameters(0, 0, 1)).data_rate_index == 3


def test_no_snr_keeps_current() -> None:
    current = ADRParameters(2, 1, 1)
    assert adapt_data_rate(EU, ups(None, 2, range(20)), current) == current
    assert adapt_data_rate(EU, ups(10, 2, range(20), gateways=0), current) == current
    assert adapt_data_rate(EU, [], current) == current


def test_limits_and_rejections() -> None:
    result = adapt_data_rate(
        EU, ups(10, 0, range(20)), ADRParameters(0, 0, 1), max_data_rate_index=3, rejected_data_rate_indexes=[3]
    )
    assert result.data_rate_index == 2
    us = get_band("US_902_928")
    assert adapt_data_rate(us, ups(20, 0, range(20)), ADRParameters(0, 0, 1)).data_rate_index == 3


def test_margin_argument() -> None:
    # A 0 dB installation margin turns 5 dB SNR at SF12 into 25 dB: DR5 (12.5 dB), then 12 dB of power.
    assert adapt_data_rate(EU, ups(5, 0, range(20)), ADRParameters(0, 0, 1), margin=0) == ADRParameters(5, 6, 1)


@pytest.mark.parametrize(
    ("f_cnts", "rate"), [([], 0.0), ([5], 0.0), ([0, 1, 2], 0.0), ([0, 2], 1 / 3), ([10, 11, 0, 2], 1 / 3)]
)
def test_loss_rate(f_cnts: list[int], rate: float) -> None:
    assert loss_rate(f_cnts) == pytest.approx(rate)


@settings(deadline=None, max_examples=100)
@given(
    snrs=st.lists(st.one_of(st.none(), st.floats(-25, 15)), min_size=1, max_size=30),
    dr=st.integers(0, 5),
    power=st.integers(0, 7),
    nb=st.integers(1, 3),
    margin=st.floats(0, 20),
)
def test_invariants(snrs: list[float | None], dr: int, power: int, nb: int, margin: float) -> None:
    uplinks = [ADRUplink(i, dr, snr) for i, snr in enumerate(snrs)]
    result = adapt_data_rate(EU, uplinks, ADRParameters(dr, power, nb), margin=margin)
    assert dr <= result.data_rate_index <= EU.max_adr_data_rate_index
    assert 0 <= result.tx_power_index <= EU.max_tx_power_index
    assert 1 <= result.nb_trans <= 3
