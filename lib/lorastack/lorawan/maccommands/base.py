"""Common machinery of MAC commands (LoRaWAN 1.1 chapter 5, 1.0.4 chapter 5): the command base
class, the registry by (direction, CID), and helpers for the frequent payload shapes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Self, TypeVar

from ..errors import EncodeError

__all__ = ["FlagsCommand", "MACCommand", "MinorVersionCommand", "command_for", "register"]


@dataclass(frozen=True, slots=True)
class MACCommand:
    """One MAC command. ``CID`` and ``LENGTH`` (payload bytes, CID excluded) are per direction:
    ``UPLINK`` tells whether the end device sends it."""

    CID: ClassVar[int]
    UPLINK: ClassVar[bool]
    LENGTH: ClassVar[int] = 0

    def payload(self) -> bytes:
        """The payload without CID; commands with fields override this."""
        return b""

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        """Build from exactly LENGTH payload bytes (length already checked by the parser)."""
        return cls()

    def encode(self) -> bytes:
        body = self.payload()
        if len(body) != self.LENGTH:
            raise EncodeError(f"{type(self).__name__} payload must be {self.LENGTH} bytes")
        return bytes((self.CID,)) + body


@dataclass(frozen=True, slots=True)
class FlagsCommand(MACCommand):
    """A one-byte answer made of status bits: field i of the dataclass is bit i. Other bits are RFU
    and ignored on decode, as the specification asks of receivers."""

    LENGTH: ClassVar[int] = 1

    def payload(self) -> bytes:
        value = 0
        for bit, field in enumerate(fields(self)):
            if getattr(self, field.name):
                value |= 1 << bit
        return bytes((value,))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        byte = data[0]
        return cls(*(bool(byte & (1 << bit)) for bit in range(len(fields(cls)))))


@dataclass(frozen=True, slots=True)
class MinorVersionCommand(MACCommand):
    """A one-byte command carrying a LoRaWAN minor version (Reset and Rekey, LoRaWAN 1.1 sections 5.1
    and 5.10): bits 0-3 are the minor version (1 = 1.1), the others RFU."""

    LENGTH: ClassVar[int] = 1
    minor: int = 1

    def payload(self) -> bytes:
        return bytes((check_range("Minor", self.minor, 0, 15),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] & 0x0F)


_REGISTRY: dict[tuple[bool, int], type[MACCommand]] = {}
C = TypeVar("C", bound=type[MACCommand])


def register(cls: C) -> C:
    key = (cls.UPLINK, cls.CID)
    if key in _REGISTRY:
        raise RuntimeError(f"CID 0x{cls.CID:02X} registered twice for one direction")
    _REGISTRY[key] = cls
    return cls


def command_for(cid: int, *, uplink: bool) -> type[MACCommand] | None:
    """The command class with this CID in this direction, or None when the CID is unknown."""
    return _REGISTRY.get((uplink, cid))


def check_range(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise EncodeError(f"{name} must be in {low}..{high}, got {value}")
    return value
