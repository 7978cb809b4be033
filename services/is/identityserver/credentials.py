"""API key tokens (``NNSXS.<KEY ID>.<SECRET>``, The Things Stack's format) and password hashing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets as _random

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["PREFIX", "check_password", "hash_password", "hash_secret", "new_api_key", "parse_api_key", "secret_matches"]

PREFIX = "NNSXS"
# 24 random bytes give the 39-character id, 32 bytes the 52-character secret of the published examples.
_ID_BYTES = 24
_SECRET_BYTES = 32
_hasher = PasswordHasher()


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def new_api_key() -> tuple[str, str, str]:
    """A fresh (key id, secret, full token)."""
    key_id = _b32(_random.token_bytes(_ID_BYTES))
    secret = _b32(_random.token_bytes(_SECRET_BYTES))
    return key_id, secret, f"{PREFIX}.{key_id}.{secret}"


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> bytes:
    # The secret has 256 bits of entropy, so one fast hash suffices (no KDF needed).
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)


async def hash_password(password: str) -> str:
    """Argon2id hash; computed off the event loop because it is deliberately slow."""
    return await asyncio.to_thread(_hasher.hash, password)


async def check_password(password: str, stored: str) -> bool:
    if not stored:
        return False

    def verify() -> bool:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
