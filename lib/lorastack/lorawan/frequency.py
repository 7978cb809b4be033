"""The 3-byte frequency field of CFList and MAC commands (LoRaWAN 1.1 section 5.6, RP002-1.0.x).

Sub-GHz bands count in 100 Hz steps; ISM2400 (RP002 section 2.17) counts in 200 Hz steps, and its
raw values (>= 12,000,000) can never be a sub-GHz frequency, so the two never collide.
"""

from __future__ import annotations

from .errors import DecodeError, EncodeError

__all__ = ["decode_frequency", "encode_frequency"]

_ISM2400_HZ = 2_400_000_000
_ISM2400_RAW = _ISM2400_HZ // 200


def encode_frequency(hz: int) -> bytes:
    if hz >= _ISM2400_HZ:
        if hz % 200:
            raise EncodeError(f"a 2.4 GHz frequency must be a multiple of 200 Hz: {hz}")
        raw = hz // 200
    else:
        if hz % 100 or hz < 0:
            raise EncodeError(f"frequency must be a non-negative multiple of 100 Hz: {hz}")
        raw = hz // 100
        if raw >= _ISM2400_RAW:
            raise EncodeError(f"frequency not encodable: {hz}")
    if raw > 0xFFFFFF:
        raise EncodeError(f"frequency out of range: {hz}")
    return raw.to_bytes(3, "little")


def decode_frequency(data: bytes, offset: int) -> int:
    if len(data) < offset + 3:
        raise DecodeError("frequency needs 3 bytes", offset=len(data))
    raw = data[offset] | (data[offset + 1] << 8) | (data[offset + 2] << 16)
    return raw * 200 if raw >= _ISM2400_RAW else raw * 100
