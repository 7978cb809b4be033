"""The IS end device registry: the metadata fields of seed 001 (the other registries hold keys and sessions)."""

from __future__ import annotations

from collections.abc import Sequence

from identityserver import errors, validation
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.common import Page
from identityserver.pgstore.devices import DeviceStore
from identityserver.registry import BASE_PATHS, Notify, _silent
from lorastack import fieldmask
from ttn.lorawan.v3 import end_device_pb2, rights_pb2

__all__ = ["IS_FIELDS", "Devices"]

Device = end_device_pb2.EndDevice

# Seed 001: the EndDevice fields the Identity Server stores.
IS_FIELDS = (
    "ids",
    "created_at",
    "updated_at",
    "name",
    "description",
    "attributes",
    "version_ids",
    "network_server_address",
    "application_server_address",
    "join_server_address",
    "service_profile_id",
    "locations",
    "picture",
)
_WRITABLE = tuple(f for f in IS_FIELDS if f not in ("ids", "created_at", "updated_at"))


def _validate(dev: Device) -> None:
    validation.check_id(dev.ids.application_ids.application_id, "ids.application_ids.application_id")
    validation.check_id(dev.ids.device_id, "ids.device_id")
    validation.check_eui(dev.ids.dev_eui, "ids.dev_eui")
    validation.check_eui(dev.ids.join_eui, "ids.join_eui")
    if dev.ids.dev_addr and len(dev.ids.dev_addr) != 4:
        raise errors.invalid_field(field="ids.dev_addr", reason="a DevAddr is 4 bytes")
    validation.check_common(dev.name, dev.description, dev.attributes)
    for field in ("network_server_address", "application_server_address", "join_server_address"):
        validation.check_address(getattr(dev, field), field)
    validation.check_text(dev.service_profile_id, "service_profile_id", 64)


def _paths(paths: Sequence[str], allowed: Sequence[str]) -> list[str]:
    return fieldmask.validate_paths(Device.DESCRIPTOR, paths, allowed)


class Devices:
    def __init__(self, store: DeviceStore, authorizer: Authorizer, notify: Notify = _silent) -> None:
        self.store = store
        self._auth = authorizer
        self._notify = notify

    async def create(self, caller: Caller, dev: Device) -> Device:
        app_id = dev.ids.application_ids.application_id
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE)
        _validate(dev)
        created = await self.store.create(caller.tenant_id, fieldmask.select(dev, IS_FIELDS))
        await self._notify("is.end_device.create", caller.tenant_id, "end_device", f"{app_id}/{dev.ids.device_id}")
        return created

    async def get(self, caller: Caller, app_id: str, device_id: str, paths: Sequence[str]) -> Device:
        checked = _paths(paths, IS_FIELDS)
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_READ)
        dev = await self.store.get(caller.tenant_id, app_id, device_id)
        if dev is None:
            raise errors.not_found(entity_type="end_device", entity_id=f"{app_id}.{device_id}")
        return fieldmask.select(dev, [*BASE_PATHS, *checked])

    async def listing(self, caller: Caller, app_id: str, paths: Sequence[str], page: Page) -> tuple[list[Device], int]:
        checked = _paths(paths, IS_FIELDS)
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_READ)
        found, total = await self.store.list(caller.tenant_id, app_id, page)
        return [fieldmask.select(d, [*BASE_PATHS, *checked]) for d in found], total

    async def update(self, caller: Caller, dev: Device, paths: Sequence[str]) -> Device:
        checked = _paths(paths, _WRITABLE)
        app_id = dev.ids.application_ids.application_id
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE)

        def change(stored: Device) -> None:
            fieldmask.apply(dev, stored, checked)
            _validate(stored)

        updated = await self.store.update(caller.tenant_id, app_id, dev.ids.device_id, change)
        await self._notify("is.end_device.update", caller.tenant_id, "end_device", f"{app_id}/{dev.ids.device_id}")
        return fieldmask.select(updated, [*BASE_PATHS, *checked])

    async def delete(self, caller: Caller, app_id: str, device_id: str) -> None:
        await self._auth.require(caller, "application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE)
        if not await self.store.delete(caller.tenant_id, app_id, device_id):
            raise errors.not_found(entity_type="end_device", entity_id=f"{app_id}.{device_id}")
        await self._notify("is.end_device.delete", caller.tenant_id, "end_device", f"{app_id}/{device_id}")
