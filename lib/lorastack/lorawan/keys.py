"""AES-128 keys (root, session and KEKs), LoRaWAN 1.1 section 6.1.1.3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fixed import FixedBytes

__all__ = ["AES128Key"]


@dataclass(frozen=True, slots=True, repr=False)
class AES128Key(FixedBytes):
    """A 16-byte AES key; str() gives upper-case hex, repr() hides it so logs never carry keys."""

    SIZE: ClassVar[int] = 16

    def __repr__(self) -> str:
        return "AES128Key(<hidden>)"
