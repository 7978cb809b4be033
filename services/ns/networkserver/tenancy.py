"""Tenants in the Network Server: a call names its tenant in the ``x-tenant-id`` metadata (read by the
interceptor), and the NS stores an application under its key, ``{application id}`` in the default
tenant and ``{application id}@{tenant id}`` in any other, as the AS does."""

from __future__ import annotations

from lorastack.rpc.auth import current_tenant
from networkserver import errors

__all__ = ["application_key"]


def application_key(application_id: str, default_tenant: str = "default", tenant: str | None = None) -> str:
    """The storage key of an application in the call's tenant (or ``tenant`` when given)."""
    if "@" in application_id:
        # Otherwise `app@other` asked in one tenant would reach application `app` of tenant `other`.
        raise errors.ERR_INVALID_FIELD(field="application_id", reason="must not contain @")
    named = (tenant if tenant is not None else current_tenant.get()) or ""
    named = named.strip().lower()
    return application_id if not named or named == default_tenant else f"{application_id}@{named}"
