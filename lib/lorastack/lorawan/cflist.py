"""CFList of the join-accept: extra channel frequencies (type 0) or channel masks (type 1).

LoRaWAN 1.1 section 6.2.4 and RP002-1.0.x section 2.x (CFList per region).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DecodeError, EncodeError
from .frequency import decode_frequency, encode_frequency

__all__ = ["CFList", "CFListChannelMasks", "CFListFrequencies", "decode_cflist"]


@dataclass(frozen=True, slots=True)
class CFListFrequencies:
    """Type 0: five channel frequencies in Hz; 0 leaves a channel unused."""

    frequencies: tuple[int, ...]

    def encode(self) -> bytes:
        if len(self.frequencies) > 5:
            raise EncodeError(f"CFList holds at most 5 frequencies, got {len(self.frequencies)}")
        padded = tuple(self.frequencies) + (0,) * (5 - len(self.frequencies))
        return b"".join(encode_frequency(f) for f in padded) + b"\x00"


@dataclass(frozen=True, slots=True)
class CFListChannelMasks:
    """Type 1: up to seven 16-bit ChMask values, bit i enabling channel 16*k + i."""

    masks: tuple[int, ...]

    def encode(self) -> bytes:
        if len(self.masks) > 7:
            raise EncodeError(f"CFList holds at most 7 channel masks, got {len(self.masks)}")
        out = bytearray(16)
        for index, mask in enumerate(self.masks):
            if not 0 <= mask <= 0xFFFF:
                raise EncodeError(f"channel mask out of range: {mask}")
            out[2 * index : 2 * index + 2] = mask.to_bytes(2, "little")
        out[15] = 1
        return bytes(out)


CFList = CFListFrequencies | CFListChannelMasks


def decode_cflist(data: bytes, offset: int = 0) -> CFList:
    """Decode the 16 bytes at ``offset``; the last one is the CFListType."""
    block = data[offset : offset + 16]
    if len(block) != 16:
        raise DecodeError("CFList needs 16 bytes", offset=offset + len(block))
    cflist_type = block[15]
    if cflist_type == 0:
        return CFListFrequencies(tuple(decode_frequency(block, 3 * i) for i in range(5)))
    if cflist_type == 1:
        masks = [int.from_bytes(block[2 * i : 2 * i + 2], "little") for i in range(7)]
        # Trailing empty masks carry nothing: drop them so values compare naturally.
        while masks and masks[-1] == 0:
            masks.pop()
        return CFListChannelMasks(tuple(masks))
    raise DecodeError(f"unknown CFListType {cflist_type}", offset=offset + 15)
