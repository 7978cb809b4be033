"""DevAddr: the 32-bit device address of a session, and DevAddr prefixes.

LoRaWAN 1.1 section 6.1.1 and Backend Interfaces 1.0 section 13 (address types 0-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from ._fixed import FixedBytes
from .errors import DecodeError, EncodeError, LoRaWANError

if TYPE_CHECKING:
    from .netid import NetID

__all__ = ["DevAddr", "DevAddrPrefix"]


@dataclass(frozen=True, slots=True, repr=False)
class DevAddr(FixedBytes):
    """A 4-byte device address: type prefix, NwkID, NwkAddr."""

    SIZE: ClassVar[int] = 4

    @property
    def type(self) -> int:
        """The address type: the number of leading one bits (0-7)."""
        first = self.value[0]
        for net_type in range(8):
            if not first & (0x80 >> net_type):
                return net_type
        raise LoRaWANError(f"DevAddr {self} has no valid type prefix")

    @property
    def nwk_id(self) -> int:
        from .netid import NWK_ID_BITS

        net_type = self.type
        nwk_bits = NWK_ID_BITS[net_type]
        return (int(self) >> (32 - (net_type + 1) - nwk_bits)) & ((1 << nwk_bits) - 1)

    @property
    def nwk_addr(self) -> int:
        from .netid import NWK_ID_BITS

        net_type = self.type
        addr_bits = 32 - (net_type + 1) - NWK_ID_BITS[net_type]
        return int(self) & ((1 << addr_bits) - 1)

    def is_net_id(self, net_id: NetID) -> bool:
        return net_id.dev_addr_prefix().matches(self)

    def with_prefix(self, prefix: DevAddrPrefix) -> DevAddr:
        """This address with its leading bits replaced by ``prefix``."""
        mask = prefix.mask
        return DevAddr.from_int((int(self) & ~mask & 0xFFFFFFFF) | (int(prefix.dev_addr) & mask))


@dataclass(frozen=True, slots=True)
class DevAddrPrefix:
    """The leading ``length`` bits of ``dev_addr``; written like ``26000000/7``."""

    dev_addr: DevAddr
    length: int

    @property
    def mask(self) -> int:
        if not 0 <= self.length <= 32:
            raise EncodeError(f"DevAddr prefix length out of range: {self.length}")
        return (0xFFFFFFFF << (32 - self.length)) & 0xFFFFFFFF

    def matches(self, dev_addr: DevAddr) -> bool:
        mask = self.mask
        return int(dev_addr) & mask == int(self.dev_addr) & mask

    @classmethod
    def from_string(cls, text: str) -> Self:
        addr, sep, length = text.partition("/")
        if not sep or not length.isdigit() or not 0 <= int(length) <= 32:
            raise DecodeError(f"DevAddr prefix must look like 26000000/7: {text!r}")
        return cls(DevAddr.from_hex(addr), int(length))

    def __str__(self) -> str:
        return f"{self.dev_addr}/{self.length}"
