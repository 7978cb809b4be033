"""Who is calling and what they may do: API key authentication and rights computed from the database.

Rights of a key are the key's own rights on its entity; a user's key acts with the
intersection of the key's rights and the user's rights (direct, or through an
organization: the organization's rights intersected with the membership's).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from identityserver import credentials, errors, kinds, tenancy
from identityserver.pgstore.access import AccessStore, ApiKeyRow
from identityserver.pgstore.oauth import OAuthStore, TokenRow
from identityserver.pgstore.users import UserSecrets
from lorastack.rights import expand
from lorastack.rpc.auth import current_credentials, is_valid_cluster_key
from ttn.lorawan.v3 import rights_pb2

__all__ = ["Authorizer", "Caller"]

_EVERYTHING = expand([rights_pb2.RIGHT_ALL])


@dataclass(frozen=True, slots=True)
class Caller:
    tenant_id: str
    key: ApiKeyRow | None = None
    is_admin: bool = False
    cluster: bool = False
    # Set for OAuth access tokens, which otherwise act exactly like a user's API key.
    oauth: TokenRow | None = None

    @property
    def universal(self) -> bool:
        """Cluster peers and admin users act on every entity of the tenant."""
        return self.cluster or self.is_admin

    @property
    def user_id(self) -> str | None:
        if self.key is not None and self.key.entity_kind == "user":
            return self.key.entity_id
        return None


class Authorizer:
    def __init__(
        self,
        access: AccessStore,
        users: UserSecrets,
        *,
        default_tenant: str,
        cluster_keys: Sequence[bytes] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tokens: OAuthStore | None = None,
    ) -> None:
        self.access = access
        self._tokens = tokens
        self._users = users
        self._default_tenant = default_tenant
        self._cluster_keys = tuple(cluster_keys)
        self._clock = clock

    def tenant(self, metadata: Iterable[tuple[str, Any]] | None) -> str:
        return tenancy.tenant_of(metadata, self._default_tenant)

    async def caller(self, metadata: Iterable[tuple[str, Any]] | None) -> Caller:
        """Authenticate the call's credentials within the call's tenant."""
        tenant = self.tenant(metadata)
        creds = current_credentials.get()
        if creds is None:
            raise errors.invalid_api_key()
        if is_valid_cluster_key(creds, self._cluster_keys):
            return Caller(tenant, cluster=True)
        if creds.kind != "bearer":
            raise errors.forbidden_credentials()
        if creds.value.startswith(credentials.ACCESS_TOKEN_PREFIX + "."):
            return await self._token_caller(tenant, creds.value)
        parsed = credentials.parse_api_key(creds.value)
        if parsed is None:
            raise errors.invalid_api_key()
        key = await self.access.key(tenant, parsed[0])
        if key is None or not credentials.secret_matches(parsed[1], key.secret_hash):
            if not await self.access.tenant_exists(tenant):
                raise errors.unknown_tenant(tenant_id=tenant)
            raise errors.invalid_api_key()
        if key.expires_at is not None and key.expires_at <= self._clock():
            raise errors.api_key_expired(key_id=key.key_id)
        admin = key.entity_kind == "user" and await self._users.is_admin(tenant, key.entity_id)
        return Caller(tenant, key=key, is_admin=admin)

    async def _token_caller(self, tenant: str, token: str) -> Caller:
        parsed = credentials.parse_token(token, credentials.ACCESS_TOKEN_PREFIX)
        row = await self._tokens.token(tenant, parsed[0]) if parsed and self._tokens else None
        if parsed is None or row is None:
            if not await self.access.tenant_exists(tenant):
                raise errors.unknown_tenant(tenant_id=tenant)
            raise errors.invalid_token()
        if not hmac.compare_digest(row.access_hash, hashlib.sha256(parsed[1].encode()).digest()):
            raise errors.invalid_token()
        if row.expires_at <= self._clock():
            raise errors.token_expired(token_id=row.token_id)
        key = ApiKeyRow(
            tenant,
            row.token_id,
            "user",
            row.user_id,
            "",
            row.access_hash,
            row.rights,
            row.created_at,
            row.created_at,
            row.expires_at,
        )
        admin = await self._users.is_admin(tenant, row.user_id)
        return Caller(tenant, key=key, is_admin=admin, oauth=row)

    async def rights(self, caller: Caller, kind: str, entity_id: str) -> frozenset[int]:
        """The expanded rights of the caller on one entity (empty when none)."""
        key = caller.key
        if caller.cluster:
            return _EVERYTHING
        if key is None:
            return frozenset()
        granted = expand(key.rights)
        if (key.entity_kind, key.entity_id) == (kind, entity_id):
            return granted
        if caller.is_admin:
            return granted
        if key.entity_kind == "user" and kind != "user":
            direct, paths = await self.access.user_paths(caller.tenant_id, key.entity_id, (kind, entity_id))
            held = set(expand(direct))
            for path in paths:
                held |= expand(path.organization_rights) & expand(path.member_rights)
            return granted & frozenset(held)
        if key.entity_kind == "organization" and kind not in ("user", "organization"):
            rights = await self.access.collaborator(
                caller.tenant_id, (kind, entity_id), ("organization", key.entity_id)
            )
            return granted & expand(rights)
        return frozenset()

    async def require(self, caller: Caller, kind: str, entity_id: str, *needed: int) -> frozenset[int]:
        held = await self.rights(caller, kind, entity_id)
        if not held:
            raise errors.no_rights(entity_type=kind, entity_id=entity_id)
        missing = [n for n in needed if n not in held]
        if missing:
            names = ", ".join(rights_pb2.Right.Name(m) for m in missing)  # type: ignore[arg-type]
            raise errors.insufficient_rights(entity_type=kind, entity_id=entity_id, missing=names)
        return held

    async def visible(self, caller: Caller, kind: str) -> list[str] | None:
        """Ids of the ``kind`` entities the caller may see; None means all of the tenant."""
        key = caller.key
        if caller.universal:
            return None
        if key is None:
            return []
        if (key.entity_kind) == kind:
            return [key.entity_id]
        if kinds.KINDS[kind].info not in expand(key.rights):
            return []
        if key.entity_kind in ("user", "organization"):
            return await self.access.entities_of(caller.tenant_id, kind, (key.entity_kind, key.entity_id))
        return []
