"""NetID: type, NetID ID, NwkID and the DevAddr prefix it owns.

LoRaWAN Backend Interfaces 1.0 section 13 (NetID and DevAddr types 0-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ._fixed import FixedBytes

if TYPE_CHECKING:
    from .devaddr import DevAddrPrefix

__all__ = ["NWK_ID_BITS", "NetID"]

# Width of the NwkID field of a DevAddr, indexed by NetID/DevAddr type (Backend Interfaces table 3).
NWK_ID_BITS: tuple[int, ...] = (6, 6, 9, 11, 12, 13, 15, 17)
# Width of the ID part of a NetID, indexed by type (Backend Interfaces section 13.1).
_ID_BITS: tuple[int, ...] = (6, 6, 9, 21, 21, 21, 21, 21)


@dataclass(frozen=True, slots=True, repr=False)
class NetID(FixedBytes):
    """A 3-byte LoRaWAN network identifier; the top 3 bits are its type."""

    SIZE: ClassVar[int] = 3

    @property
    def type(self) -> int:
        return self.value[0] >> 5

    @property
    def id(self) -> int:
        """The NetID ID: the bits that follow the type (6, 9 or 21 of them)."""
        return int(self) & ((1 << _ID_BITS[self.type]) - 1)

    @property
    def nwk_id(self) -> int:
        """The NwkID carried in DevAddrs of this network: the ID's least significant bits."""
        return self.id & ((1 << NWK_ID_BITS[self.type]) - 1)

    def dev_addr_prefix(self) -> DevAddrPrefix:
        """The prefix (type bits + NwkID) every DevAddr of this network starts with."""
        from .devaddr import DevAddr, DevAddrPrefix

        net_type = self.type
        type_bits = net_type + 1
        nwk_bits = NWK_ID_BITS[net_type]
        # Type prefix: net_type ones then a zero, followed by the NwkID.
        type_prefix = ((1 << net_type) - 1) << 1
        length = type_bits + nwk_bits
        prefix = ((type_prefix << nwk_bits) | self.nwk_id) << (32 - length)
        return DevAddrPrefix(DevAddr.from_int(prefix), length)
