"""The one place that decides which tenant a request belongs to.

Rule: the ``x-tenant-id`` call metadata (``Grpc-Metadata-X-Tenant-Id`` on REST) names
the tenant; without it the request is in the configured ``default_tenant``. Every
store query takes the tenant resolved here, so nothing reads across tenants.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from identityserver import errors, validation

__all__ = ["TENANT_METADATA", "tenant_of"]

TENANT_METADATA = "x-tenant-id"


def tenant_of(metadata: Iterable[tuple[str, Any]] | None, default_tenant: str) -> str:
    """The tenant id a call's metadata asks for, or the default tenant."""
    for key, value in metadata or ():
        if str(key).lower() != TENANT_METADATA:
            continue
        tenant = (value.decode() if isinstance(value, bytes) else str(value)).strip().lower()
        if not validation.is_valid_id(tenant):
            raise errors.unknown_tenant(tenant_id=tenant[:40])
        return tenant
    return default_tenant
