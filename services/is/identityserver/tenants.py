"""TenantRegistry logic (seed 002): only callers presenting a configured tenant admin key get in."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from identityserver import errors, validation
from identityserver.auth import Caller
from identityserver.pgstore.common import Page
from identityserver.pgstore.tenants import TenantStore
from identityserver.registry import BASE_PATHS
from identityserver.users import Users
from lorastack import fieldmask
from lorastack.rpc.auth import Credentials
from tti.lorawan.v3 import tenant_pb2
from ttn.lorawan.v3 import user_pb2

__all__ = ["Tenants"]

Tenant = tenant_pb2.Tenant
_READ_ONLY = ("ids", "created_at", "updated_at")


def _validate(tenant: Tenant) -> None:
    validation.check_id(tenant.ids.tenant_id, "tenant.ids.tenant_id")
    validation.check_common(tenant.name, tenant.description, tenant.attributes)


def _paths(paths: Sequence[str]) -> list[str]:
    return fieldmask.validate_paths(Tenant.DESCRIPTOR, paths)


class Tenants:
    def __init__(self, store: TenantStore, users: Users, admin_keys: Sequence[str], default_tenant: str) -> None:
        self._store = store
        self._users = users
        self._keys = tuple(k.encode() for k in admin_keys)
        self._default_tenant = default_tenant

    def authenticate(self, credentials: Credentials | None) -> None:
        if credentials is None or credentials.kind != "tenant_admin" or not self._keys:
            raise errors.invalid_tenant_admin_key()
        presented = credentials.value.encode()
        # Compare with every key so timing does not reveal which one matched.
        if sum(hmac.compare_digest(presented, key) for key in self._keys) == 0:
            raise errors.invalid_tenant_admin_key()

    async def create(self, tenant: Tenant, initial_user: user_pb2.User | None) -> Tenant:
        _validate(tenant)
        if initial_user is not None:
            validation.check_id(initial_user.ids.user_id, "initial_user.ids.user_id")
        created = await self._store.create(tenant)
        if initial_user is not None:
            try:
                await self._users.create(Caller(tenant.ids.tenant_id, cluster=True), initial_user)
            except Exception:
                # A tenant whose first user was refused is not created either.
                await self._store.delete(tenant.ids.tenant_id)
                raise
        return created

    async def get(self, tenant_id: str, paths: Sequence[str]) -> Tenant:
        checked = _paths(paths)
        found = await self._store.get(tenant_id)
        if found is None:
            raise errors.not_found(entity_type="tenant", entity_id=tenant_id)
        return fieldmask.select(found, [*BASE_PATHS, *checked])

    async def totals(self, tenant_id: str) -> tenant_pb2.TenantRegistryTotals:
        if await self._store.get(tenant_id) is None:
            raise errors.not_found(entity_type="tenant", entity_id=tenant_id)
        return tenant_pb2.TenantRegistryTotals(**await self._store.totals(tenant_id))

    async def listing(self, paths: Sequence[str], page: Page) -> tuple[list[Tenant], int]:
        checked = _paths(paths)
        found, total = await self._store.list(page)
        return [fieldmask.select(t, [*BASE_PATHS, *checked]) for t in found], total

    async def update(self, tenant: Tenant, paths: Sequence[str]) -> Tenant:
        checked = _paths(paths)
        for path in checked:
            if path.split(".", 1)[0] in _READ_ONLY:
                raise fieldmask.ERR_FIELD_MASK_PATH_NOT_ALLOWED(path=path)

        def change(stored: Tenant) -> None:
            fieldmask.apply(tenant, stored, checked)
            _validate(stored)

        updated = await self._store.update(tenant.ids.tenant_id, change)
        return fieldmask.select(updated, [*BASE_PATHS, *checked])

    async def delete(self, tenant_id: str) -> None:
        if tenant_id == self._default_tenant:
            raise errors.invalid_field(field="tenant_id", reason="the default tenant cannot be deleted")
        if not await self._store.delete(tenant_id):
            raise errors.not_found(entity_type="tenant", entity_id=tenant_id)
