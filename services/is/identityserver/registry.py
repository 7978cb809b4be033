"""The entity registries' logic, shared by applications, gateways, organizations and users:
create with a first collaborator, get and list with field masks, update with a field mask, delete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from identityserver import errors, kinds
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.common import Page
from identityserver.pgstore.entities import EntityStore
from lorastack import fieldmask

__all__ = ["BASE_PATHS", "EntitySpec", "Notify", "Registry"]

M = TypeVar("M", bound=Message)
BASE_PATHS = ("ids", "created_at", "updated_at")
# (event name, tenant, entity kind, entity id); end devices use kind end_device and id "app/device".
Notify = Callable[[str, str, str, str], Awaitable[None]]


async def _silent(_event: str, _tenant: str, _kind: str, _entity_id: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class EntitySpec(Generic[M]):
    kind: str
    message: type[M]
    id_of: Callable[[M], str]
    validate: Callable[[M], None]
    # Paths an Update may not name (identifiers and server-set fields).
    read_only: tuple[str, ...] = ("ids", "created_at", "updated_at", "deleted_at")
    # What the first collaborator receives; organizations pass every right on to their applications
    # and gateways, so their creator gets RIGHT_ALL (as in The Things Stack).
    owner_rights: tuple[int, ...] = ()


def masked(msg: M, paths: Sequence[str]) -> M:
    """The message reduced to ``paths`` plus the identifiers and timestamps."""
    return fieldmask.select(msg, [*BASE_PATHS, *paths])


class Registry(Generic[M]):
    def __init__(
        self, spec: EntitySpec[M], store: EntityStore[M], authorizer: Authorizer, notify: Notify = _silent
    ) -> None:
        self.spec = spec
        self.store = store
        self._auth = authorizer
        self._notify = notify
        self._rights = kinds.KINDS[spec.kind]

    def check_paths(self, paths: Sequence[str], *, update: bool = False) -> list[str]:
        checked = fieldmask.validate_paths(cast(Descriptor, self.spec.message.DESCRIPTOR), paths)
        if update:
            for path in checked:
                if path.split(".", 1)[0] in self.spec.read_only:
                    raise fieldmask.ERR_FIELD_MASK_PATH_NOT_ALLOWED(path=path)
        return checked

    async def create(
        self,
        caller: Caller,
        msg: M,
        collaborator: tuple[str, str] | None,
        *,
        secrets: dict[str, Any] | None = None,
    ) -> M:
        """Create; the collaborator (if any) gets all rights, and the caller needs the create right on it."""
        if collaborator is not None:
            needed = kinds.CREATE_AS.get((collaborator[0], self.spec.kind))
            if needed is None:
                raise errors.invalid_field(field="collaborator", reason=f"cannot own a {self.spec.kind}")
            await self._auth.require(caller, collaborator[0], collaborator[1], needed)
        self.spec.validate(msg)
        entity_id = self.spec.id_of(msg)
        created = await self.store.create(
            caller.tenant_id,
            entity_id,
            msg,
            collaborator=collaborator,
            rights=list(self.spec.owner_rights) or [self._rights.all],
            secrets=secrets,
        )
        await self._notify(f"is.{self.spec.kind}.create", caller.tenant_id, self.spec.kind, entity_id)
        return created

    async def get(self, caller: Caller, entity_id: str, paths: Sequence[str]) -> M:
        checked = self.check_paths(paths)
        await self._auth.require(caller, self.spec.kind, entity_id, self._rights.info)
        found = await self.store.get(caller.tenant_id, entity_id)
        if found is None:
            raise errors.not_found(entity_type=self.spec.kind, entity_id=entity_id)
        return masked(found, checked)

    async def listing(
        self, caller: Caller, collaborator: tuple[str, str] | None, paths: Sequence[str], page: Page
    ) -> tuple[list[M], int]:
        checked = self.check_paths(paths)
        ids: list[str] | None
        if collaborator is not None:
            needed = kinds.LIST_AS.get((collaborator[0], self.spec.kind))
            if needed is None:
                raise errors.invalid_field(field="collaborator", reason=f"cannot hold a {self.spec.kind}")
            await self._auth.require(caller, collaborator[0], collaborator[1], needed)
            ids = await self.store_ids_of(caller, collaborator)
        else:
            ids = await self._auth.visible(caller, self.spec.kind)
        found, total = await self.store.list(caller.tenant_id, ids, page)
        return [masked(m, checked) for m in found], total

    async def store_ids_of(self, caller: Caller, collaborator: tuple[str, str]) -> list[str]:
        return await self._auth.access.entities_of(caller.tenant_id, self.spec.kind, collaborator)

    async def update(self, caller: Caller, msg: M, paths: Sequence[str]) -> M:
        checked = self.check_paths(paths, update=True)
        entity_id = self.spec.id_of(msg)
        await self._auth.require(caller, self.spec.kind, entity_id, self._rights.settings_basic)

        def change(stored: M) -> None:
            fieldmask.apply(msg, stored, checked)
            self.spec.validate(stored)

        updated = await self.store.update(caller.tenant_id, entity_id, change)
        await self._notify(f"is.{self.spec.kind}.update", caller.tenant_id, self.spec.kind, entity_id)
        return masked(updated, checked)

    async def delete(self, caller: Caller, entity_id: str) -> None:
        await self._auth.require(caller, self.spec.kind, entity_id, self._rights.delete)
        if not await self.store.delete(caller.tenant_id, entity_id):
            raise errors.not_found(entity_type=self.spec.kind, entity_id=entity_id)
        await self._notify(f"is.{self.spec.kind}.delete", caller.tenant_id, self.spec.kind, entity_id)
