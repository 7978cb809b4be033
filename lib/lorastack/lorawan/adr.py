"""Network-side adaptive data rate (LoRaWAN 1.0.4 section 4.3.1.1, LinkADRReq 5.3), as a pure function.

Follows The Things Stack's algorithm (pkg/networkserver/mac/adr.go): link margin = best SNR of the
recent uplinks at the current data rate minus the demodulation floor of that rate minus the
installation margin; spend it on data rate steps of 2.5 dB first, then on TX power, and set NbTrans
from the frame loss seen in the frame counters.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lorastack.lorawan.band.base import Band, LoRaModulation
from lorastack.lorawan.errors import LoRaWANError

__all__ = [
    "DEFAULT_ADR_MARGIN",
    "DEMODULATION_FLOOR",
    "OPTIMAL_ADR_UPLINK_COUNT",
    "ADRError",
    "ADRParameters",
    "ADRUplink",
    "adapt_data_rate",
    "loss_rate",
]

# Required SNR in dB per (SF, bandwidth) to demodulate, from the SX1276 datasheet table 13.
DEMODULATION_FLOOR: dict[tuple[int, int], float] = {
    (sf, bw): base + shift
    for sf, base in ((6, -5.0), (7, -7.5), (8, -10.0), (9, -12.5), (10, -15.0), (11, -17.5), (12, -20.0))
    for bw, shift in ((125_000, 0.0), (250_000, 3.0), (500_000, 6.0))
}
DEFAULT_ADR_MARGIN = 15.0
OPTIMAL_ADR_UPLINK_COUNT = 20
# Extra margin kept while fewer than OPTIMAL_ADR_UPLINK_COUNT uplinks back the decision.
_SAFETY_MARGIN = 2.5
_DATA_RATE_STEP = 2.5
_MAX_NB_TRANS = 3


class ADRError(LoRaWANError):
    """Inputs the ADR algorithm cannot work with (unknown data rate, empty ranges)."""


@dataclass(frozen=True, slots=True)
class ADRUplink:
    """What ADR needs of one received uplink: its full FCnt, data rate and best SNR over all gateways."""

    f_cnt: int
    data_rate_index: int
    max_snr: float | None
    gateway_count: int = 1


@dataclass(frozen=True, slots=True)
class ADRParameters:
    data_rate_index: int
    tx_power_index: int
    nb_trans: int


def loss_rate(f_cnts: Sequence[int]) -> float:
    """Share of frames missing between the first and last counter; a counter reset restarts the count."""
    start = 0
    for i in range(1, len(f_cnts)):
        if f_cnts[i] < f_cnts[i - 1]:
            start = i
    window = f_cnts[start:]
    if len(window) < 2:
        return 0.0
    lost = sum(max(0, b - a - 1) for a, b in itertools.pairwise(window))
    return lost / (1 + window[-1] - window[0])


def _tx_power_step(band: Band, from_index: int, to_index: int) -> float:
    top = band.max_tx_power_index
    return band.tx_power_offsets[min(from_index, top)] - band.tx_power_offsets[min(to_index, top)]


def _narrow(low: int, high: int, rejected: frozenset[int]) -> tuple[int, int]:
    while low <= high and low in rejected:
        low += 1
    while high >= low and high in rejected:
        high -= 1
    return low, high


def _recent_at_current_rate(uplinks: Sequence[ADRUplink], data_rate_index: int) -> list[ADRUplink]:
    """The trailing run of uplinks sent at the current data rate; older ones describe another link."""
    recent: list[ADRUplink] = []
    for up in reversed(uplinks):
        if up.data_rate_index != data_rate_index:
            break
        recent.append(up)
    recent.reverse()
    return recent


def _nb_trans(current: int, uplinks: Sequence[ADRUplink], low: int, high: int) -> int:
    nb_trans = min(max(current, low), high)
    if len(uplinks) >= OPTIMAL_ADR_UPLINK_COUNT // 2:
        rate = loss_rate([up.f_cnt for up in uplinks])
        if rate < 0.05:
            nb_trans = 1 + nb_trans // 3
        elif rate < 0.10:
            pass
        elif rate < 0.30:
            nb_trans = 2 + nb_trans // 2
        else:
            nb_trans = _MAX_NB_TRANS
    return min(max(nb_trans, low), high)


def adapt_data_rate(
    band: Band,
    uplinks: Sequence[ADRUplink],
    current: ADRParameters,
    *,
    margin: float = DEFAULT_ADR_MARGIN,
    min_data_rate_index: int = 0,
    max_data_rate_index: int | None = None,
    min_tx_power_index: int = 0,
    max_tx_power_index: int | None = None,
    min_nb_trans: int = 1,
    max_nb_trans: int = _MAX_NB_TRANS,
    rejected_data_rate_indexes: Iterable[int] = (),
    rejected_tx_power_indexes: Iterable[int] = (),
) -> ADRParameters:
    """Desired data rate, TX power index and NbTrans; ``current`` when there is nothing to go on.

    The data rate only ever goes up (the device lowers it itself through ADRACKReq); the TX power
    index is reset to 0 whenever the data rate changes, then spends the remaining margin.
    """
    recent = _recent_at_current_rate(uplinks, current.data_rate_index)
    snrs = [up.max_snr for up in recent if up.max_snr is not None and up.gateway_count > 0]
    if not snrs:
        return current
    rejected_drs = frozenset(rejected_data_rate_indexes)
    rejected_powers = frozenset(rejected_tx_power_indexes)
    dr_high = band.max_adr_data_rate_index if max_data_rate_index is None else max_data_rate_index
    dr_low, dr_high = _narrow(min_data_rate_index, min(dr_high, band.max_adr_data_rate_index), rejected_drs)
    power_high = band.max_tx_power_index if max_tx_power_index is None else max_tx_power_index
    power_low, power_high = _narrow(min_tx_power_index, min(power_high, band.max_tx_power_index), rejected_powers)
    if dr_low > dr_high or power_low > power_high:
        return current
    dr_low = max(dr_low, current.data_rate_index)
    modulation = band.data_rate(current.data_rate_index).modulation
    if not isinstance(modulation, LoRaModulation):
        return current
    floor = DEMODULATION_FLOOR.get((modulation.spreading_factor, modulation.bandwidth))
    if floor is None:
        raise ADRError(f"no demodulation floor for SF{modulation.spreading_factor}/{modulation.bandwidth} Hz")
    optimal = len(recent) >= OPTIMAL_ADR_UPLINK_COUNT
    link_margin = max(snrs) - floor - margin - (0.0 if optimal else _SAFETY_MARGIN)

    data_rate, tx_power = current.data_rate_index, current.tx_power_index
    if data_rate < dr_low:
        link_margin -= (dr_low - data_rate) * _DATA_RATE_STEP
        data_rate, tx_power = dr_low, 0
    steps = (link_margin - _tx_power_step(band, 0, power_low)) / _DATA_RATE_STEP
    top = dr_high
    if 0 <= steps < dr_high - data_rate:
        top = data_rate + int(steps)
    elif steps < 0:
        top = dr_low
    for candidate in range(top, dr_low, -1):
        if candidate in rejected_drs:
            continue
        link_margin -= (candidate - data_rate) * _DATA_RATE_STEP
        data_rate, tx_power = candidate, 0
        break

    if tx_power < power_low:
        link_margin -= _tx_power_step(band, tx_power, power_low)
        tx_power = power_low
    if tx_power > power_high:
        link_margin += _tx_power_step(band, power_high, tx_power)
        tx_power = power_high
    for candidate in range(power_high, power_low - 1, -1):
        diff = _tx_power_step(band, tx_power, candidate)
        if (candidate in rejected_powers or diff > link_margin) and candidate != power_low:
            continue
        # With too few uplinks a small power increase is more likely noise than need: keep it.
        if not optimal and diff < 0 and -diff <= _SAFETY_MARGIN:
            break
        tx_power = candidate
        break

    nb_trans = _nb_trans(current.nb_trans, recent, min_nb_trans, max_nb_trans)
    return ADRParameters(data_rate, tx_power, nb_trans)
