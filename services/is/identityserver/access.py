"""API keys and collaborators of an entity, and the rights answer other services rely on.

Nobody grants a right they do not hold, and an entity always keeps at least one
collaborator holding all of its rights.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from identityserver import credentials, errors, kinds
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.access import AccessStore, ApiKeyRow, CollaboratorRow
from identityserver.pgstore.common import Page, timestamp
from identityserver.registry import Notify, _silent
from lorastack.rights import expand
from ttn.lorawan.v3 import rights_pb2

__all__ = ["Access", "api_key_message"]


def api_key_message(row: ApiKeyRow, token: str = "") -> rights_pb2.APIKey:
    msg = rights_pb2.APIKey(id=row.key_id, key=token, name=row.name, rights=sorted(row.rights))  # type: ignore[arg-type]
    msg.created_at.CopyFrom(timestamp(row.created_at))
    msg.updated_at.CopyFrom(timestamp(row.updated_at))
    if row.expires_at is not None:
        msg.expires_at.CopyFrom(timestamp(row.expires_at))
    return msg


def _expiry(value: Timestamp, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


class Access:
    def __init__(self, store: AccessStore, authorizer: Authorizer, notify: Notify = _silent) -> None:
        self._store = store
        self._auth = authorizer
        self._notify = notify

    async def list_rights(self, caller: Caller, kind: str, entity_id: str) -> list[int]:
        """The caller's rights on the entity; an empty list, not an error, when it has none."""
        held = await self._auth.rights(caller, kind, entity_id)
        # An organization's rights reach its applications and gateways, so they are not cut to its kind.
        if caller.cluster or kind == "organization":
            return sorted(held)
        return sorted(held & kinds.all_rights_of(kind))

    async def _grantable(self, caller: Caller, kind: str, entity_id: str, rights: Sequence[int]) -> list[int]:
        held = await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].api_keys)
        return self._within(held, rights)

    @staticmethod
    def _within(held: frozenset[int], rights: Sequence[int]) -> list[int]:
        for right in rights:
            if right not in rights_pb2.Right.values():
                raise errors.invalid_field(field="rights", reason=f"unknown right {right}")
        lacking = expand(rights) - held
        if lacking:
            names = ", ".join(sorted(rights_pb2.Right.Name(r) for r in lacking))  # type: ignore[arg-type]
            raise errors.rights_not_held(rights=names)
        return sorted(set(rights))

    async def create_key(
        self, caller: Caller, kind: str, entity_id: str, name: str, rights: Sequence[int], expires_at: datetime | None
    ) -> rights_pb2.APIKey:
        granted = await self._grantable(caller, kind, entity_id, rights)
        if not granted:
            raise errors.invalid_field(field="rights", reason="an API key needs at least one right")
        if len(name) > 50:
            raise errors.field_too_long(field="name", limit=50)
        key_id, secret, token = credentials.new_api_key()
        row = await self._store.create_key(
            caller.tenant_id, (kind, entity_id), key_id, name, credentials.hash_secret(secret), granted, expires_at
        )
        await self._notify("is.api_key.create", caller.tenant_id, kind, entity_id)
        return api_key_message(row, token)

    async def list_keys(
        self, caller: Caller, kind: str, entity_id: str, page: Page
    ) -> tuple[list[rights_pb2.APIKey], int]:
        await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].api_keys)
        rows, total = await self._store.keys(caller.tenant_id, (kind, entity_id), page)
        return [api_key_message(r) for r in rows], total

    async def get_key(self, caller: Caller, kind: str, entity_id: str, key_id: str) -> rights_pb2.APIKey:
        await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].api_keys)
        row = await self._store.key(caller.tenant_id, key_id)
        if row is None or (row.entity_kind, row.entity_id) != (kind, entity_id):
            raise errors.not_found(entity_type="api_key", entity_id=key_id)
        return api_key_message(row)

    async def update_key(
        self, caller: Caller, kind: str, entity_id: str, update: rights_pb2.APIKey, paths: Sequence[str]
    ) -> rights_pb2.APIKey:
        """Update name, rights or expiry (all when no mask); zero rights delete the key."""
        held = await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].api_keys)
        fields = set(paths) or {"name", "rights", "expires_at"}
        unknown = fields - {"name", "rights", "expires_at"}
        if unknown:
            raise errors.invalid_field(field="field_mask", reason=f"cannot update {sorted(unknown)[0]}")
        if "rights" in fields:
            self._within(held, update.rights)

        def change(row: ApiKeyRow) -> tuple[str, Sequence[int], datetime | None]:
            if "rights" in fields:
                # Taking rights away also needs them: a key holding more than the caller stays as it is.
                self._within(held, row.rights)
            name = update.name if "name" in fields else row.name
            rights = sorted(set(update.rights)) if "rights" in fields else list(row.rights)
            expires = _expiry(update.expires_at, update.HasField("expires_at")) if "expires_at" in fields else None
            return name, rights, expires if "expires_at" in fields else row.expires_at

        row = await self._store.update_key(caller.tenant_id, (kind, entity_id), update.id, change)
        if row is None:
            await self._notify("is.api_key.delete", caller.tenant_id, kind, entity_id)
            return rights_pb2.APIKey(id=update.id)
        await self._notify("is.api_key.update", caller.tenant_id, kind, entity_id)
        return api_key_message(row)

    # Collaborators --------------------------------------------------------------

    async def get_collaborator(self, caller: Caller, kind: str, entity_id: str, member: tuple[str, str]) -> list[int]:
        await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].collaborators)
        rights = await self._store.collaborator(caller.tenant_id, (kind, entity_id), member)
        if not rights:
            raise errors.collaborator_not_found(collaborator=f"{member[0]}:{member[1]}")
        return list(rights)

    async def set_collaborator(
        self, caller: Caller, kind: str, entity_id: str, member: tuple[str, str], rights: Sequence[int]
    ) -> None:
        held = await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].collaborators)
        granted = self._within(held, rights)
        if kind == "organization" and member[0] != "user":
            raise errors.invalid_field(field="collaborator", reason="organization members are users")
        everything = kinds.all_rights_of(kind)

        def still_valid(after: list[CollaboratorRow]) -> bool:
            return any(everything <= expand(c.rights) for c in after)

        await self._store.set_collaborator(caller.tenant_id, (kind, entity_id), member, granted, still_valid)
        await self._notify(
            "is.collaborator.update" if granted else "is.collaborator.delete", caller.tenant_id, kind, entity_id
        )

    async def list_collaborators(
        self, caller: Caller, kind: str, entity_id: str, page: Page
    ) -> tuple[list[CollaboratorRow], int]:
        await self._auth.require(caller, kind, entity_id, kinds.KINDS[kind].collaborators)
        return await self._store.collaborators(caller.tenant_id, (kind, entity_id), page)
