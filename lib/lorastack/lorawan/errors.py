"""The one exception type of the LoRaWAN protocol library.

Every decode, encode or validation failure in :mod:`lorastack.lorawan` raises
:class:`LoRaWANError` (or a subclass), never another exception type.
"""

from __future__ import annotations

__all__ = ["DecodeError", "EncodeError", "LoRaWANError"]


class LoRaWANError(ValueError):
    """A frame, MAC command or parameter is invalid.

    ``offset`` is the byte position of the problem when decoding, else ``None``.
    """

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.message = message
        self.offset = offset
        super().__init__(message if offset is None else f"{message} (at byte {offset})")


class DecodeError(LoRaWANError):
    """Bytes that are not a valid encoding of what was asked for."""


class EncodeError(LoRaWANError):
    """Values that cannot be encoded (out of range, wrong length)."""
