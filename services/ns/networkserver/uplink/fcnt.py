"""Frame counter rules of data uplinks: the 32-bit FCntUp from the 16 bits on the air
(LoRaWAN 1.0.4 section 4.3.1.5, 1.1 section 4.3.1.5), rollover, resets and replays."""

from __future__ import annotations

__all__ = ["MAX_F_CNT", "candidate_f_cnts"]

MAX_F_CNT = 0xFFFFFFFF


def candidate_f_cnts(
    last: int, on_air: int, *, fresh: bool, supports_32_bit: bool = True, resets_f_cnt: bool = False
) -> list[int]:
    """The full counters the 16-bit ``on_air`` may stand for, most likely first; empty for a replay.

    ``last`` is the last accepted FCntUp and ``fresh`` says no uplink was accepted in the session yet
    (so ``last`` itself is still acceptable). The MIC decides between candidates, since it covers
    all 32 bits. ``resets_f_cnt`` allows a device that restarts its counter (ABP without
    persistent storage); it weakens replay protection and is off by default.
    """
    on_air &= 0xFFFF
    out: list[int] = []
    if supports_32_bit:
        full = (last & 0xFFFF0000) | on_air
        if full < last or (full == last and not fresh):
            full += 0x10000
        if full <= MAX_F_CNT:
            out.append(full)
    elif on_air > last or (on_air == last and fresh):
        out.append(on_air)
    if resets_f_cnt and on_air not in out:
        out.append(on_air)
    return out
