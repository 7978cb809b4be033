"""Credentials of a call: parsed once by the interceptor, read by handlers.

The ``authorization`` metadata carries ``Bearer <API key or token>`` from users,
``ClusterKey <hex>`` from cluster peers and ``TenantAdminKey <key>`` from
tenant administrators. The interceptor parses it into :class:`Credentials` and
keeps it in a context variable for the duration of the call.
"""

from __future__ import annotations

import contextvars
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import grpc

from lorastack.errors import define

__all__ = [
    "CLUSTER_AUTH_TYPE",
    "PEER_ROLE_KEY",
    "TENANT_KEY",
    "Credentials",
    "current_credentials",
    "current_peer_role",
    "current_tenant",
    "errors",
    "is_valid_cluster_key",
    "parse_authorization",
]

CLUSTER_AUTH_TYPE = "ClusterKey"

AuthKind = Literal["bearer", "cluster", "tenant_admin"]
_KINDS: dict[str, AuthKind] = {"bearer": "bearer", "clusterkey": "cluster", "tenantadminkey": "tenant_admin"}


class errors:
    """The errors of credential checks."""

    unauthenticated = define(
        "pkg/auth", "unauthenticated", "no credentials in the request", grpc.StatusCode.UNAUTHENTICATED
    )
    invalid_authorization = define(
        "pkg/auth",
        "invalid_authorization",
        "invalid authorization value of type `{type}`",
        grpc.StatusCode.UNAUTHENTICATED,
    )
    cluster_only = define(
        "pkg/auth",
        "cluster_auth_required",
        "method `{method}` may only be called by cluster peers with a valid cluster key",
        grpc.StatusCode.UNAUTHENTICATED,
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the caller presented; ``value`` is secret and never logged."""

    kind: AuthKind
    value: str

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"


current_credentials: contextvars.ContextVar[Credentials | None] = contextvars.ContextVar(
    "lorastack_credentials", default=None
)

# The tenant a call names in TENANT_KEY metadata (``Grpc-Metadata-X-Tenant-Id`` on REST), or None for
# the default tenant; rights look-ups at the IS are made in that tenant.
TENANT_KEY = "x-tenant-id"
current_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("lorastack_tenant", default=None)

# The role ("gs", "ns", "as", "js", "is") a cluster peer declares in PEER_ROLE_KEY
# metadata; set only when the call also carries a valid cluster key.
PEER_ROLE_KEY = "x-lorastack-peer-role"
current_peer_role: contextvars.ContextVar[str | None] = contextvars.ContextVar("lorastack_peer_role", default=None)


def parse_authorization(metadata: Iterable[tuple[str, str | bytes]]) -> Credentials | None:
    """Find and parse the ``authorization`` entry of call metadata."""
    for key, raw in metadata:
        if key.lower() != "authorization":
            continue
        value = raw.decode() if isinstance(raw, bytes) else raw
        scheme, _, token = value.strip().partition(" ")
        kind = _KINDS.get(scheme.lower())
        token = token.strip()
        if kind is None or not token:
            raise errors.invalid_authorization(type=scheme[:32])
        return Credentials(kind, token)
    return None


def is_valid_cluster_key(credentials: Credentials | None, keys: Sequence[bytes]) -> bool:
    """Whether the credentials carry one of the configured cluster keys."""
    if credentials is None or credentials.kind != "cluster" or not keys:
        return False
    try:
        presented = bytes.fromhex(credentials.value)
    except ValueError:
        return False
    # Compare against every key so the time taken does not tell which one matched.
    return sum(hmac.compare_digest(presented, key) for key in keys) > 0
