"""AES key wrap and unwrap (RFC 3394) of keys under a KEK, as LoRaWAN Backend Interfaces 1.0
section 6.3 uses to carry session keys between servers."""

from __future__ import annotations

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from .errors import DecodeError, EncodeError

__all__ = ["unwrap_key", "wrap_key"]


def _check_kek(kek: bytes) -> None:
    if len(kek) not in (16, 24, 32):
        raise EncodeError(f"KEK must be 16, 24 or 32 bytes, got {len(kek)}")


def wrap_key(kek: bytes, key: bytes) -> bytes:
    """Wrap ``key`` (a multiple of 8 bytes, at least 16) under ``kek``; the result is 8 bytes longer."""
    _check_kek(kek)
    if len(key) < 16 or len(key) % 8:
        raise EncodeError(f"a wrapped key must be a multiple of 8 bytes and at least 16, got {len(key)}")
    return aes_key_wrap(kek, key)


def unwrap_key(kek: bytes, wrapped: bytes) -> bytes:
    """Unwrap and check the integrity value; a wrong KEK or tampered data raises DecodeError."""
    _check_kek(kek)
    if len(wrapped) < 24 or len(wrapped) % 8:
        raise DecodeError(f"wrapped key must be a multiple of 8 bytes and at least 24, got {len(wrapped)}")
    try:
        return aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        raise DecodeError("key unwrap failed: wrong KEK or corrupted data") from None
