"""EntityRegistrySearch and EndDeviceRegistrySearch: id, name, description and attribute filters
over only the entities the caller may see, with field masks and pagination.

Id and name are filtered in SQL; description, attributes and EUIs live in the stored record, so
they are matched here before the page is cut (search is an interactive, not a bulk, API).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from identityserver import errors
from identityserver.auth import Authorizer, Caller
from identityserver.devices import IS_FIELDS, Devices
from identityserver.pgstore.common import MAX_LIMIT, Page
from identityserver.registry import BASE_PATHS, Registry, masked
from lorastack import fieldmask
from ttn.lorawan.v3 import end_device_pb2, rights_pb2

__all__ = ["Criteria", "Search"]


@dataclass(frozen=True, slots=True)
class Criteria:
    query: str = ""
    id_contains: str = ""
    name_contains: str = ""
    description_contains: str = ""
    attributes_contain: Mapping[str, str] = field(default_factory=dict)
    # Hex texts matched against an entity's EUIs or DevAddr (upper-case hex, as the API shows them).
    hex_contains: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: Any, hex_fields: Sequence[str] = ()) -> Criteria:
        return cls(
            query=request.query,
            id_contains=request.id_contains,
            name_contains=request.name_contains,
            description_contains=request.description_contains,
            attributes_contain=dict(request.attributes_contain),
            hex_contains={f: getattr(request, f"{f}_contains").upper() for f in hex_fields},
        )

    def matches(self, entity_id: str, msg: Any, hex_values: Mapping[str, bytes] | None = None) -> bool:
        if self.description_contains.lower() not in msg.description.lower():
            return False
        for key, value in self.attributes_contain.items():
            if value.lower() not in msg.attributes.get(key, "\0").lower():
                return False
        for name, text in self.hex_contains.items():
            if text and text not in (hex_values or {}).get(name, b"").hex().upper():
                return False
        if self.query:
            needle = self.query.lower()
            return any(needle in text.lower() for text in (entity_id, msg.name, msg.description))
        return True


def _page(items: list[Any], page: Page) -> list[Any]:
    limit = MAX_LIMIT if page.limit == 0 else min(page.limit, MAX_LIMIT)
    start = max(page.page - 1, 0) * limit
    return items[start : start + limit]


class Search:
    def __init__(self, registries: Mapping[str, Registry[Any]], devices: Devices, auth: Authorizer) -> None:
        self._registries = dict(registries)
        self._devices = devices
        self._auth = auth

    async def entities(
        self, caller: Caller, kind: str, criteria: Criteria, paths: Sequence[str], page: Page, *, deleted: bool = False
    ) -> tuple[list[Any], int]:
        registry = self._registries[kind]
        checked = registry.check_paths(paths)
        visible = await self._auth.visible(caller, kind)
        if deleted or visible == []:
            # Deleted entities are not kept, so there is nothing to find among them.
            return [], 0
        found = await registry.store.candidates(
            caller.tenant_id, visible, criteria.id_contains, criteria.name_contains, page.order
        )
        kept = [m for m in found if criteria.matches(registry.spec.id_of(m), m)]
        return [masked(m, checked) for m in _page(kept, page)], len(kept)

    async def end_devices(
        self, caller: Caller, app_id: str, criteria: Criteria, paths: Sequence[str], page: Page
    ) -> tuple[list[end_device_pb2.EndDevice], int]:
        checked = fieldmask.validate_paths(end_device_pb2.EndDevice.DESCRIPTOR, paths, IS_FIELDS)
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_READ)
        found = await self._devices.store.candidates(
            caller.tenant_id, app_id, criteria.id_contains, criteria.name_contains, page.order
        )

        def hex_values(dev: end_device_pb2.EndDevice) -> dict[str, bytes]:
            return {"dev_eui": dev.ids.dev_eui, "join_eui": dev.ids.join_eui, "dev_addr": dev.ids.dev_addr}

        kept = [d for d in found if criteria.matches(d.ids.device_id, d, hex_values(d))]
        return [fieldmask.select(d, [*BASE_PATHS, *checked]) for d in _page(kept, page)], len(kept)


def check_hex(text: str, field_name: str) -> None:
    if text and any(c not in "0123456789abcdefABCDEF" for c in text):
        raise errors.invalid_field(field=field_name, reason="hex digits only")
