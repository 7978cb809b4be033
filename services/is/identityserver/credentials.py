"""API key tokens (``NNSXS.<KEY ID>.<SECRET>``, The Things Stack's format) and password hashing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets as _random

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "PREFIX",
    "REFRESH_TOKEN_PREFIX",
    "check_password",
    "hash_password",
    "hash_secret",
    "new_api_key",
    "new_token",
    "parse_api_key",
    "parse_token",
    "secret_matches",
]

PREFIX = "NNSXS"
# OAuth access and refresh tokens: same shape as API keys, told apart by their prefix.
ACCESS_TOKEN_PREFIX = "MFRWG"
REFRESH_TOKEN_PREFIX = "MZRWG"
# 24 random bytes give the 39-character id, 32 bytes the 52-character secret of the published examples.
_ID_BYTES = 24
_SECRET_BYTES = 32
_hasher = PasswordHasher()


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def new_token(prefix: str, token_id: str | None = None) -> tuple[str, str, str]:
    """A fresh (id, secret, ``<prefix>.<id>.<secret>``); OAuth tokens share the API keys' shape."""
    token_id = token_id or _b32(_random.token_bytes(_ID_BYTES))
    secret = _b32(_random.token_bytes(_SECRET_BYTES))
    return token_id, secret, f"{prefix}.{token_id}.{secret}"


def parse_token(token: str, prefix: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed ``<prefix>.<id>.<secret>`` token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != prefix or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_api_key() -> tuple[str, str, str]:
    """A fresh (key id, secret, full token)."""
    return new_token(PREFIX)


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed API key, else None."""
    return parse_token(token, PREFIX)


def hash_secret(secret: str) -> bytes:
    # The secret has 256 bits of entropy, so one fast hash suffices (no KDF needed).
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)


async def hash_password(password: str) -> str:
    """Argon2id hash; computed off the event loop because it is deliberately slow."""
    return await asyncio.to_thread(_hasher.hash, password)


_DUMMY_HASH: list[str] = []


async def check_password(password: str, stored: str) -> bool:
    """Constant work whether or not there is a stored hash, so timing does not reveal unknown accounts."""
    known = bool(stored)
    if not known:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(await hash_password(_random.token_urlsafe(16)))
        stored = _DUMMY_HASH[0]

    def verify() -> bool:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify) and known
