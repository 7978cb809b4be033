"""Identifier rules, API key tokens, password hashing and the tenant rule, without a database."""

from __future__ import annotations

import pytest

from identityserver import credentials, tenancy, validation
from lorastack.errors import LorastackError


@pytest.mark.parametrize("value", ["abc", "a-b-c", "app1", "a" * 36, "0-12"])
def test_valid_ids(value: str) -> None:
    assert validation.is_valid_id(value)


@pytest.mark.parametrize("value", ["ab", "0-1", "a" * 37, "-abc", "abc-", "a--b", "ABC", "a_b", "a.b", ""])
def test_invalid_ids(value: str) -> None:
    assert not validation.is_valid_id(value)
    with pytest.raises(LorastackError):
        validation.check_id(value, "id")


def test_eui_and_address_checks() -> None:
    assert validation.check_eui(b"", "eui") is None
    assert validation.check_eui(bytes(8), "eui") == bytes(8)
    with pytest.raises(LorastackError):
        validation.check_eui(bytes(7), "eui")
    validation.check_address("eu1.cloud.thethings.network:8884", "a")
    for bad in ("http://x", "a b", "x:123456"):
        with pytest.raises(LorastackError):
            validation.check_address(bad, "a")


def test_api_key_token_shape() -> None:
    key_id, secret, token = credentials.new_api_key()
    assert token == f"NNSXS.{key_id}.{secret}"
    assert len(key_id) == 39 and len(secret) == 52
    assert credentials.parse_api_key(token) == (key_id, secret)
    assert credentials.secret_matches(secret, credentials.hash_secret(secret))
    assert not credentials.secret_matches(secret + "X", credentials.hash_secret(secret))
    for bad in ("NNSXS.a", "Bearer x", "XXXXX.a.b", "NNSXS..b"):
        assert credentials.parse_api_key(bad) is None


async def test_password_hash_roundtrip() -> None:
    stored = await credentials.hash_password("a good password")
    assert stored.startswith("$argon2id$")
    assert await credentials.check_password("a good password", stored)
    assert not await credentials.check_password("wrong", stored)
    assert not await credentials.check_password("x", "")


def test_tenant_rule() -> None:
    assert tenancy.tenant_of([], "default") == "default"
    assert tenancy.tenant_of([("x-tenant-id", "Acme")], "default") == "acme"
    assert tenancy.tenant_of([("other", "x")], "dflt") == "dflt"
    with pytest.raises(LorastackError):
        tenancy.tenant_of([("x-tenant-id", "no way")], "default")
