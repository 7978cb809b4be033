"""AES-128 block encryption and AES-CMAC (RFC 4493) on ``cryptography``, with per-key caching.

Building a cipher or CMAC context costs more than using it; a session key is used for every
frame of its device, so contexts are built once per key and copied.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.ciphers.modes import ECB
from cryptography.hazmat.primitives.cmac import CMAC

from ..keys import AES128Key

__all__ = ["aes_decrypt_blocks", "aes_encrypt_blocks", "cmac"]

# Enough for the active devices of one busy process; misses only cost a rebuild.
_CACHE_SIZE = 8192


@lru_cache(maxsize=_CACHE_SIZE)
def _cipher(key: bytes) -> Cipher[ECB]:
    return Cipher(AES(key), ECB())


@lru_cache(maxsize=_CACHE_SIZE)
def _cmac_base(key: bytes) -> CMAC:
    return CMAC(AES(key))


def aes_encrypt_blocks(key: AES128Key, blocks: bytes) -> bytes:
    """AES-128-ECB encryption of whole 16-byte blocks."""
    return _cipher(key.value).encryptor().update(blocks)


def aes_decrypt_blocks(key: AES128Key, blocks: bytes) -> bytes:
    return _cipher(key.value).decryptor().update(blocks)


def cmac(key: AES128Key, *parts: bytes) -> bytes:
    """The full 16-byte AES-CMAC of the concatenated parts."""
    ctx = _cmac_base(key.value).copy()
    for part in parts:
        ctx.update(part)
    return ctx.finalize()
