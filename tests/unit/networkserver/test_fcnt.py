"""FCnt reconstruction table (LoRaWAN 1.0.4 / 1.1 section 4.3.1.5)."""

from __future__ import annotations

import pytest

from networkserver.uplink.fcnt import candidate_f_cnts


@pytest.mark.parametrize(
    ("last", "on_air", "fresh", "supports_32", "resets", "expected"),
    [
        (0, 0, True, True, False, [0]),  # first uplink of a session
        (0, 0, False, True, False, [0x10000]),  # replay of 0 can only mean a full rollover
        (5, 6, False, True, False, [6]),
        (5, 5, False, True, False, [0x10005]),  # same counter: only a rollover could make it new
        (0xFFFF, 0x0001, False, True, False, [0x10001]),  # 16-bit rollover
        (0x1FFFE, 0x0003, False, True, False, [0x20003]),
        (0x12345, 0x2346, False, True, False, [0x12346]),
        (10, 3, False, False, False, []),  # 16-bit counters: a lower value is a replay
        (10, 11, False, False, False, [11]),
        (10, 3, False, True, True, [0x10003, 3]),  # resets allowed: the reset candidate comes last
        (0xFFFFFFFF, 0, False, True, False, []),  # the counter space is exhausted
    ],
)
def test_candidates(last: int, on_air: int, fresh: bool, supports_32: bool, resets: bool, expected: list[int]) -> None:
    assert candidate_f_cnts(last, on_air, fresh=fresh, supports_32_bit=supports_32, resets_f_cnt=resets) == expected
