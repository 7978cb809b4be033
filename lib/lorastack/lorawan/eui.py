"""EUI-64 identifiers (DevEUI, JoinEUI/AppEUI), LoRaWAN 1.1 section 6.1.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fixed import FixedBytes

__all__ = ["EUI64"]


@dataclass(frozen=True, slots=True, repr=False)
class EUI64(FixedBytes):
    """An IEEE EUI-64, big-endian as written; little-endian on the air."""

    SIZE: ClassVar[int] = 8
