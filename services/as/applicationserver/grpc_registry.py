"""The ``ttn.lorawan.v3.AsEndDeviceRegistry`` service: the AS fields of an end device (seed 001)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import empty_pb2

from applicationserver import errors
from applicationserver.keys import KeyVault
from applicationserver.observability import Events
from applicationserver.ports import EventPublisher
from applicationserver.store import DeviceStore
from applicationserver.tenancy import TenantRights
from lorastack import fieldmask
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, rights_pb2

__all__ = ["AS_DEVICE_FIELDS", "AsEndDeviceRegistryServicer"]

EndDevice = end_device_pb2.EndDevice

# What the AS stores of an end device: seed 001, plus the settings the AS itself acts on.
AS_DEVICE_FIELDS = (
    "ids",
    "formatters",
    "session.dev_addr",
    "session.keys.session_key_id",
    "session.keys.app_s_key",
    "session.last_a_f_cnt_down",
    "pending_session.dev_addr",
    "pending_session.keys.session_key_id",
    "pending_session.keys.app_s_key",
    "skip_payload_crypto_override",
    "version_ids",
    "created_at",
    "updated_at",
)
_KEY_PATHS = ("session.keys.app_s_key", "pending_session.keys.app_s_key")


def _touches_keys(paths: list[str]) -> bool:
    return any(
        p in ("session", "pending_session", "session.keys", "pending_session.keys") or p.startswith(_KEY_PATHS)
        for p in paths
    )


class AsEndDeviceRegistryServicer:
    def __init__(
        self,
        *,
        devices: DeviceStore,
        rights: TenantRights,
        publisher: EventPublisher,
        vault: KeyVault,
        membership_changed: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        # Told the application key when its first device arrives or its last one goes, so the link follows.
        self._membership_changed = membership_changed
        self._vault = vault
        self._devices = devices
        self._rights = rights
        self._events = publisher

    async def Get(self, request: end_device_pb2.GetEndDeviceRequest, context: Any) -> Any:
        ids = request.end_device_ids
        app_id = ids.application_ids.application_id
        paths = fieldmask.validate_paths(EndDevice.DESCRIPTOR, request.field_mask.paths, AS_DEVICE_FIELDS)
        needed = [rights_pb2.RIGHT_APPLICATION_DEVICES_READ]
        if _touches_keys(paths):
            needed.append(rights_pb2.RIGHT_APPLICATION_DEVICES_READ_KEYS)
        key = await self._rights.check(context, app_id, *needed)
        device = await self._devices.get(key, ids.device_id)
        if device is None:
            raise errors.device_not_found(device_id=ids.device_id)
        out = fieldmask.select(device, ["ids", *paths])
        for session in (out.session, out.pending_session):
            if not _touches_keys(paths):
                session.keys.ClearField("app_s_key")
            elif session.keys.app_s_key.encrypted_key and self._vault.can_open(session.keys.app_s_key):
                # Wrapped at rest with the AS's own KEK, which no client holds: hand out the key itself.
                session.keys.app_s_key.CopyFrom(self._vault.open_envelope(session.keys.app_s_key))
        return out

    async def Set(self, request: end_device_pb2.SetEndDeviceRequest, context: Any) -> Any:
        ids = request.end_device.ids
        app_id, dev_id = ids.application_ids.application_id, ids.device_id
        if not app_id or not dev_id:
            raise errors.invalid_downlink(reason="end_device.ids needs application and device id")
        paths = fieldmask.validate_paths(EndDevice.DESCRIPTOR, request.field_mask.paths, AS_DEVICE_FIELDS)
        needed = [rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE]
        if _touches_keys(paths):
            needed.append(rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE_KEYS)
        key = await self._rights.check(context, app_id, *needed)
        created: list[bool] = []

        def change(current: EndDevice | None) -> EndDevice:
            created.append(current is None)
            out = current if current is not None else EndDevice()
            if current is None:
                out.ids.CopyFrom(ids)
                out.created_at.GetCurrentTime()
            fieldmask.apply(request.end_device, out, [p for p in paths if p not in ("created_at", "updated_at")])
            out.ids.application_ids.application_id, out.ids.device_id = app_id, dev_id
            for session in (out.session, out.pending_session):
                if session.keys.app_s_key.key:
                    session.keys.app_s_key.CopyFrom(self._vault.seal(session.keys.app_s_key.key))
            out.updated_at.GetCurrentTime()
            return out

        stored = await self._devices.update(key, dev_id, change)
        assert stored is not None
        if created[-1]:
            await self._membership(key)
        await self._events.publish(
            Events.end_device_set, identifiers=[stored.ids], tenant_id=self._rights.tenancy.split(key)[1]
        )
        out = fieldmask.select(stored, ["ids", *paths])
        for session in (out.session, out.pending_session):
            session.keys.ClearField("app_s_key")
        return out

    async def Delete(self, request: identifiers_pb2.EndDeviceIdentifiers, context: Any) -> Any:
        app_id = request.application_ids.application_id
        key = await self._rights.check(context, app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE)
        existed: list[bool] = []

        def remove(current: EndDevice | None) -> None:
            existed.append(current is not None)
            return None

        await self._devices.update(key, request.device_id, remove)
        if not existed or not existed[-1]:
            raise errors.device_not_found(device_id=request.device_id)
        await self._membership(key)
        await self._events.publish(
            Events.end_device_delete, identifiers=[request], tenant_id=self._rights.tenancy.split(key)[1]
        )
        return empty_pb2.Empty()

    async def _membership(self, app_key: str) -> None:
        if self._membership_changed is not None:
            await self._membership_changed(app_key)
