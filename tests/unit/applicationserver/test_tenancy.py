"""Application keys and the tenant a call names."""

from __future__ import annotations

from typing import Any

import pytest

from applicationserver.tenancy import Tenancy, TenantRights
from lorastack.errors import LorastackError
from lorastack.rpc.auth import Credentials


def test_keys_carry_the_tenant_outside_the_default_one() -> None:
    tenancy = Tenancy("default")
    assert tenancy.key("app1", "default") == "app1"
    assert tenancy.key("app1", "") == "app1"
    assert tenancy.key("app1", "acme") == "app1@acme"
    assert tenancy.split("app1") == ("app1", "default")
    assert tenancy.split("app1@acme") == ("app1", "acme")
    assert tenancy.metadata("app1@acme") == (("x-tenant-id", "acme"),)
    assert tenancy.metadata("app1") == (("x-tenant-id", "default"),)
    with pytest.raises(LorastackError):
        tenancy.key("app1@other", "acme")
    with pytest.raises(LorastackError):
        tenancy.key("", "acme")


def test_tenant_of_metadata() -> None:
    tenancy = Tenancy("ttn")
    assert tenancy.of(None) == "ttn"
    assert tenancy.of([("authorization", "Bearer x")]) == "ttn"
    assert tenancy.of([("X-Tenant-Id", b"Acme ")]) == "acme"
    for bad in ("a.b", "a/b", "", "x" * 70):
        with pytest.raises(LorastackError):
            tenancy.of([("x-tenant-id", bad)])


class _Recorder:
    """Stands in for a grpc.aio channel: records the metadata of the unary calls made on it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, tuple[tuple[str, str], ...]]] = []

    def unary_unary(self, method: str, **_: Any) -> Any:
        async def call(request: Any, *, metadata: Any = (), timeout: float | None = None) -> Any:
            self.calls.append((method, tuple(metadata)))
            raise RuntimeError("stop here")

        return call


async def test_rights_look_ups_name_the_tenant_and_cache_apart() -> None:
    recorder = _Recorder()
    rights = TenantRights(lambda: recorder, Tenancy("default"))  # type: ignore[arg-type, return-value]
    assert rights.of("acme") is rights.of("acme")
    assert rights.of("acme") is not rights.of("globex")
    with pytest.raises(RuntimeError):
        await rights.rights("acme", "app1", Credentials("bearer", "NNSXS.X.Y"))
    method, metadata = recorder.calls[0]
    assert method.endswith("ApplicationAccess/ListRights")
    assert ("x-tenant-id", "acme") in metadata


def test_invalidation_reaches_every_tenant() -> None:
    rights = TenantRights(lambda: None, Tenancy("default"))
    clients = [rights.of("acme"), rights.of("globex")]
    generations = [c._generation for c in clients]
    rights.invalidate()
    assert [c._generation for c in clients] == [g + 1 for g in generations]
