"""Building blocks the region modules share: RX1 mappings, ChMask meanings, data-rate rows.

RP002-1.0.3 sections 2.x.5 (LinkADRReq ChMaskCntl) and 2.x.7 (RX1 data rate and channel).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lorastack.lorawan.band.base import (
    Band,
    BandError,
    DataRate,
    FSKModulation,
    LoRaModulation,
    LRFHSSModulation,
    Rx1DataRateFn,
)

__all__ = [
    "ch_mask_16",
    "ch_mask_72",
    "ch_mask_96",
    "fsk",
    "lora",
    "lrfhss",
    "rate_table",
    "rx1_by_table",
    "rx1_clamped",
    "rx1_same_frequency",
]


def lora(index: int, sf: int, bw: int, m: int, m_dwell: int | None = None, cr: str = "4/5") -> DataRate:
    return DataRate(index, LoRaModulation(sf, bw, cr), m, m_dwell)


def fsk(index: int, bit_rate: int, m: int, m_dwell: int | None = None) -> DataRate:
    return DataRate(index, FSKModulation(bit_rate), m, m_dwell)


def lrfhss(index: int, ocw: int, cr: str, m: int, m_dwell: int | None = None) -> DataRate:
    return DataRate(index, LRFHSSModulation(ocw, cr), m, m_dwell)


def rate_table(rates: Iterable[DataRate]) -> dict[int, DataRate]:
    return {dr.index: dr for dr in rates}


def rx1_by_table(table: Sequence[Sequence[int]]) -> Rx1DataRateFn:
    """RX1 data rate from an explicit [uplink DR][RX1DROffset] table."""

    def rx1(dr: int, offset: int, _dwell: bool) -> int:
        if dr >= len(table) or offset >= len(table[dr]):
            raise BandError(f"no rx1 data rate for uplink DR{dr} with offset {offset}")
        return table[dr][offset]

    return rx1


def rx1_clamped(
    max_offset: int, lowest: int, highest: int, lowest_dwell: int | None = None, negative_from: int = 6
) -> Rx1DataRateFn:
    """RX1 DR = clamp(DR - offset); offsets from ``negative_from`` up mean -1, -2 (AS923, IN865).

    ``lowest_dwell`` is the floor while downlink dwell time is on (AS923: DR2).
    """

    def rx1(dr: int, offset: int, dwell: bool) -> int:
        if offset > max_offset:
            raise BandError(f"rx1 data rate offset {offset} exceeds {max_offset}")
        effective = offset if offset < negative_from else negative_from - 1 - offset
        floor = lowest_dwell if dwell and lowest_dwell is not None else lowest
        return min(highest, max(floor, dr - effective))

    return rx1


def rx1_same_frequency(_band: Band, uplink_frequency: int) -> int:
    return uplink_frequency


def ch_mask_16(ch_mask: int, cntl: int) -> dict[int, bool]:
    """16-channel bands: 0 = mask applies to channels 0..15, 6 = every defined channel on."""
    if cntl == 0:
        return {i: bool(ch_mask >> i & 1) for i in range(16)}
    if cntl == 6:
        return dict.fromkeys(range(16), True)
    raise BandError(f"ChMaskCntl {cntl} is reserved in this band")


def ch_mask_72(ch_mask: int, cntl: int) -> dict[int, bool]:
    """US902-928/AU915-928: 64 narrow channels in blocks of 16 plus 8 wide channels 64..71.

    0..3: mask for channels 16*cntl..16*cntl+15; 4: mask bits 0..7 for channels 64..71;
    5: bit i switches the block of eight narrow channels 8i..8i+7 and wide channel 64+i;
    6: all narrow channels on, 7: all off, and in both bits 0..7 set channels 64..71.
    """
    bits = [bool(ch_mask >> i & 1) for i in range(16)]
    if 0 <= cntl <= 3:
        return {16 * cntl + i: bits[i] for i in range(16)}
    if cntl == 4:
        return {64 + i: bits[i] for i in range(8)}
    if cntl == 5:
        result = {i: bits[i // 8] for i in range(64)}
        result.update({64 + i: bits[i] for i in range(8)})
        return result
    if cntl in (6, 7):
        result = dict.fromkeys(range(64), cntl == 6)
        result.update({64 + i: bits[i] for i in range(8)})
        return result
    raise BandError(f"ChMaskCntl {cntl} is reserved in this band")


def ch_mask_96(ch_mask: int, cntl: int) -> dict[int, bool]:
    """CN470-510 (96 uplink channels): 0..5 select a block of 16, 6 = all channels on."""
    if 0 <= cntl <= 5:
        return {16 * cntl + i: bool(ch_mask >> i & 1) for i in range(16)}
    if cntl == 6:
        return dict.fromkeys(range(96), True)
    raise BandError(f"ChMaskCntl {cntl} is reserved in this band")
