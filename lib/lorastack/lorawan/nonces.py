"""DevNonce and JoinNonce (AppNonce in 1.0), LoRaWAN 1.1 sections 6.2.5 and 6.2.6."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fixed import FixedBytes

__all__ = ["DevNonce", "JoinNonce"]


@dataclass(frozen=True, slots=True, repr=False)
class DevNonce(FixedBytes):
    """The 2-byte nonce of a join-request (a counter since 1.0.4/1.1)."""

    SIZE: ClassVar[int] = 2


@dataclass(frozen=True, slots=True, repr=False)
class JoinNonce(FixedBytes):
    """The 3-byte nonce of a join-accept, chosen by the Join Server."""

    SIZE: ClassVar[int] = 3
