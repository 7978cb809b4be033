"""JsEndDeviceRegistry.Provision: register devices whose root keys live in a secure element, from the
identifiers of the request and a vendor's provisioning data; all of them or none.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from google.protobuf import struct_pb2, timestamp_pb2

from joinserver import errors
from joinserver.observability import DEVICE_CREATE
from joinserver.provisioning import EntryError, Provisioner, Provisioners
from joinserver.store import DeviceRegistry
from lorastack import events
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, joinserver_pb2

__all__ = ["Provisioning"]

# The Things Stack's device ID rule: 2-36 of lowercase letters, digits and single inner dashes.
_DEVICE_ID = re.compile(r"^[a-z0-9](?:-?[a-z0-9]){1,35}$")
_MAX_EUI = (1 << 64) - 1

Request = joinserver_pb2.ProvisionEndDevicesRequest
# Identifiers of the n-th entry; raises EntryError or a LorastackError.
NextIds = Callable[[int, struct_pb2.Struct], identifiers_pb2.EndDeviceIdentifiers]


def _ids(app_id: str, device_id: str, join_eui: bytes, dev_eui: bytes) -> identifiers_pb2.EndDeviceIdentifiers:
    ids = identifiers_pb2.EndDeviceIdentifiers(device_id=device_id, join_eui=join_eui, dev_eui=dev_eui)
    ids.application_ids.application_id = app_id
    return ids


def _from_list(request: Request, provisioner: Provisioner) -> NextIds:
    listed = request.list

    def ids_of(index: int, entry: struct_pb2.Struct) -> identifiers_pb2.EndDeviceIdentifiers:
        given = listed.end_device_ids[index]
        app_id = given.application_ids.application_id
        if app_id and app_id != request.application_ids.application_id:
            raise EntryError(f"application `{app_id}` is not the application of the request")
        return _ids(
            request.application_ids.application_id, given.device_id, given.join_eui or listed.join_eui, given.dev_eui
        )

    return ids_of


def _from_range(request: Request, provisioner: Provisioner) -> NextIds:
    span = request.range
    if len(span.start_dev_eui) != 8:
        raise errors.invalid_field(field="range.start_dev_eui", reason="want 8 bytes")
    start = int.from_bytes(span.start_dev_eui, "big")

    def ids_of(index: int, entry: struct_pb2.Struct) -> identifiers_pb2.EndDeviceIdentifiers:
        if start + index > _MAX_EUI:
            raise EntryError("the DevEUI range runs past FFFFFFFFFFFFFFFF")
        dev_eui = (start + index).to_bytes(8, "big")
        join_eui = span.join_eui or provisioner.join_eui(entry)
        device_id = provisioner.device_id(join_eui, dev_eui, entry)
        return _ids(request.application_ids.application_id, device_id, join_eui, dev_eui)

    return ids_of


def _from_data(request: Request, provisioner: Provisioner) -> NextIds:
    def ids_of(index: int, entry: struct_pb2.Struct) -> identifiers_pb2.EndDeviceIdentifiers:
        join_eui = request.from_data.join_eui or provisioner.join_eui(entry)
        dev_eui = provisioner.dev_eui(entry)
        device_id = provisioner.device_id(join_eui, dev_eui, entry)
        return _ids(request.application_ids.application_id, device_id, join_eui, dev_eui)

    return ids_of


_FORMS: dict[str, Callable[[Request, Provisioner], NextIds]] = {
    "list": _from_list,
    "range": _from_range,
    "from_data": _from_data,
}


def _check_ids(ids: identifiers_pb2.EndDeviceIdentifiers) -> None:
    if not _DEVICE_ID.match(ids.device_id):
        raise EntryError(f"device ID `{ids.device_id[:40]}` is not 2-36 of lowercase letters, digits and dashes")
    for name, label in (("join_eui", "JoinEUI"), ("dev_eui", "DevEUI")):
        if len(getattr(ids, name)) != 8:
            raise EntryError(f"no {label} of 8 bytes")
    # The Things Stack refuses an all-zero DevEUI; a zero JoinEUI is a valid (if unusual) value.
    if ids.dev_eui == bytes(8):
        raise EntryError("the DevEUI is zero")


class Provisioning:
    """Creates provisioned devices: built from the request, checked together, stored in one write."""

    def __init__(self, store: DeviceRegistry, provisioners: Provisioners, bus: events.EventBus | None = None) -> None:
        self._store = store
        self._provisioners = provisioners
        self._bus = bus

    def plan(self, request: Request) -> list[end_device_pb2.EndDevice]:
        """The devices a request would create, or the first reason it cannot; touches no storage."""
        provisioner = self._provisioners.get(request.provisioner_id)
        if provisioner is None:
            raise errors.provisioner_not_found(id=request.provisioner_id)
        form = request.WhichOneof("end_devices")
        if form is None:
            raise errors.no_end_devices()
        next_ids = _FORMS[form](request, provisioner)
        try:
            entries = provisioner.decode(request.provisioning_data)
        except EntryError as err:
            raise errors.provisioner_decode(reason=str(err)) from None
        if form == "list" and len(entries) != len(request.list.end_device_ids):
            raise errors.provision_entry_count(expected=len(request.list.end_device_ids), actual=len(entries))
        now = timestamp_pb2.Timestamp()
        now.GetCurrentTime()
        seen: dict[tuple[str, str], int] = {}
        devices = []
        for index, entry in enumerate(entries):
            try:
                ids = next_ids(index, entry)
                _check_ids(ids)
                unique_id = provisioner.unique_id(entry)
            except EntryError as err:
                raise errors.invalid_provisioning_entry(index=index, reason=str(err)) from None
            for what, value in (
                ("device ID", ids.device_id),
                ("JoinEUI and DevEUI", f"{ids.join_eui.hex().upper()}/{ids.dev_eui.hex().upper()}"),
                ("unique ID", unique_id),
            ):
                if not value:
                    continue
                first = seen.setdefault((what, value), index)
                if first != index:
                    raise errors.duplicate_provisioning_entry(first=first, second=index, what=what, value=value)
            device = end_device_pb2.EndDevice(ids=ids, provisioner_id=request.provisioner_id)
            device.provisioning_data.CopyFrom(entry)
            device.created_at.CopyFrom(now)
            device.updated_at.CopyFrom(now)
            devices.append(device)
        return devices

    async def provision(self, request: Request) -> list[end_device_pb2.EndDevice]:
        """Create every device of the request (root keys stay with the secure element) or none."""
        devices = self.plan(request)
        await self._store.create_many(devices)
        if self._bus is not None:
            for device in devices:
                await self._bus.publish(DEVICE_CREATE, identifiers=[device.ids])
        return devices
