"""Base of the fixed-length identifier and key types (EUI-64, DevAddr, NetID, nonces, keys).

Values are held big-endian, the way they are written as hex; LoRaWAN sends them little-endian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from .errors import DecodeError, EncodeError

__all__ = ["FixedBytes"]


@dataclass(frozen=True, slots=True)
class FixedBytes:
    """A fixed number of bytes, big-endian; subclasses set SIZE."""

    value: bytes
    SIZE: ClassVar[int] = 0

    def __post_init__(self) -> None:
        if len(self.value) != self.SIZE:
            raise EncodeError(f"{type(self).__name__} needs {self.SIZE} bytes, got {len(self.value)}")

    @classmethod
    def from_hex(cls, text: str) -> Self:
        """Parse hex (either case, optional ':' or '-' separators)."""
        cleaned = text.replace(":", "").replace("-", "").strip()
        if len(cleaned) != 2 * cls.SIZE:
            raise DecodeError(f"{cls.__name__} needs {2 * cls.SIZE} hex digits, got {len(cleaned)}")
        try:
            raw = bytes.fromhex(cleaned)
        except ValueError:
            raise DecodeError(f"{cls.__name__} is not valid hex: {text!r}") from None
        return cls(raw)

    @classmethod
    def from_le(cls, data: bytes | memoryview, offset: int = 0) -> Self:
        """Read the little-endian wire form at ``offset``."""
        end = offset + cls.SIZE
        if len(data) < end:
            raise DecodeError(f"{cls.__name__} truncated", offset=len(data))
        return cls(bytes(data[offset:end])[::-1])

    @classmethod
    def from_int(cls, number: int) -> Self:
        if not 0 <= number < 1 << (8 * cls.SIZE):
            raise EncodeError(f"{cls.__name__} out of range: {number}")
        return cls(number.to_bytes(cls.SIZE, "big"))

    def to_le(self) -> bytes:
        return self.value[::-1]

    def __int__(self) -> int:
        return int.from_bytes(self.value, "big")

    def __str__(self) -> str:
        return self.value.hex().upper()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value.hex().upper()})"
