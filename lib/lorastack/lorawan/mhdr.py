"""MAC header: message type and major version, LoRaWAN 1.1 section 4.2 (1.0.4 section 4.2)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import DecodeError, EncodeError

__all__ = ["MHDR", "MType", "Major", "decode_mhdr"]


class MType(enum.IntEnum):
    JOIN_REQUEST = 0
    JOIN_ACCEPT = 1
    UNCONFIRMED_DATA_UP = 2
    UNCONFIRMED_DATA_DOWN = 3
    CONFIRMED_DATA_UP = 4
    CONFIRMED_DATA_DOWN = 5
    REJOIN_REQUEST = 6
    PROPRIETARY = 7

    @property
    def is_uplink(self) -> bool:
        return self in _UPLINK

    @property
    def is_data(self) -> bool:
        return 2 <= self <= 5


_UPLINK = frozenset({MType.JOIN_REQUEST, MType.UNCONFIRMED_DATA_UP, MType.CONFIRMED_DATA_UP, MType.REJOIN_REQUEST})


class Major(enum.IntEnum):
    LORAWAN_R1 = 0


@dataclass(frozen=True, slots=True)
class MHDR:
    """The first byte of every frame. ``rfu`` keeps bits 4..2 so a frame re-encodes byte for byte."""

    mtype: MType
    major: Major = Major.LORAWAN_R1
    rfu: int = 0

    def encode(self) -> int:
        if not 0 <= self.rfu <= 7:
            raise EncodeError(f"MHDR RFU bits out of range: {self.rfu}")
        return (int(self.mtype) << 5) | (self.rfu << 2) | int(self.major)


def _build_table() -> tuple[MHDR | None, ...]:
    table: list[MHDR | None] = []
    for byte in range(256):
        major = byte & 0x03
        table.append(MHDR(MType(byte >> 5), Major(0), (byte >> 2) & 0x07) if major == 0 else None)
    return tuple(table)


# Every valid MHDR is one of 64 values: decode by lookup, not by construction.
_TABLE = _build_table()


def decode_mhdr(byte: int) -> MHDR:
    mhdr = _TABLE[byte]
    if mhdr is None:
        # Section 4.2.2: a frame of an unknown major version cannot be interpreted.
        raise DecodeError(f"unsupported LoRaWAN major version {byte & 0x03}", offset=0)
    return mhdr
