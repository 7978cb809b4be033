"""The Join Server's end device registry: the JS fields of an EndDevice (seed 001), root keys sealed.

Rights are the servicer's business; this module trusts ``with_keys`` to say whether the caller
may see or change root keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from joinserver import errors
from joinserver.keyvault import AT_REST_LABEL, KeyVault
from joinserver.observability import DEVICE_CREATE, DEVICE_DELETE, DEVICE_UPDATE
from joinserver.store import Change, DeviceRegistry
from lorastack import events, fieldmask
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2

__all__ = ["JS_FIELDS", "EndDevices", "touches_root_keys"]

JS_FIELDS = (
    "ids",
    "created_at",
    "updated_at",
    "provisioner_id",
    "provisioning_data",
    "resets_join_nonces",
    "root_keys",
    "net_id",
    "network_server_address",
    "network_server_kek_label",
    "application_server_address",
    "application_server_id",
    "application_server_kek_label",
    "claim_authentication_code",
    "last_dev_nonce",
    "used_dev_nonces",
    "last_join_nonce",
    "last_rj_count_0",
    "last_rj_count_1",
)
# Kept by the server itself; a Set naming them is refused.
_READ_ONLY = ("created_at", "updated_at")
_DESCRIPTOR = end_device_pb2.EndDevice.DESCRIPTOR


def touches_root_keys(paths: Sequence[str]) -> bool:
    return any(p == "root_keys" or p.startswith("root_keys.") for p in paths)


def _name(ids: identifiers_pb2.EndDeviceIdentifiers) -> str:
    return f"{ids.application_ids.application_id}/{ids.device_id}"


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class EndDevices:
    def __init__(self, store: DeviceRegistry, vault: KeyVault, bus: events.EventBus | None = None) -> None:
        self._store = store
        self._vault = vault
        self._bus = bus

    def _view(
        self, device: end_device_pb2.EndDevice, paths: Sequence[str], with_keys: bool
    ) -> end_device_pb2.EndDevice:
        """The answer: ``ids`` plus the masked fields, root keys opened or left out."""
        shown = end_device_pb2.EndDevice()
        shown.CopyFrom(device)
        shown.ClearField("root_keys")
        if with_keys:
            shown.root_keys.root_key_id = device.root_keys.root_key_id
            for name in ("app_key", "nwk_key"):
                key = self._vault.open(getattr(device.root_keys, name))
                if key:
                    getattr(shown.root_keys, name).key = key
        visible = [p for p in paths if with_keys or not touches_root_keys([p])]
        answer = fieldmask.select(shown, visible)
        answer.ids.CopyFrom(device.ids)
        return answer

    async def get(
        self, ids: identifiers_pb2.EndDeviceIdentifiers, paths: Sequence[str], *, with_keys: bool
    ) -> end_device_pb2.EndDevice:
        paths = fieldmask.validate_paths(_DESCRIPTOR, paths, JS_FIELDS)
        device = await self._store.get(ids.application_ids.application_id, ids.device_id)
        if device is None:
            raise errors.device_not_found(device=_name(ids))
        return self._view(device, paths, with_keys)

    def _seal_root_keys(self, device: end_device_pb2.EndDevice) -> None:
        for name in ("app_key", "nwk_key"):
            envelope = getattr(device.root_keys, name)
            if envelope.kek_label == AT_REST_LABEL and not envelope.key:
                continue
            # A key wrapped under a configured KEK label is unwrapped here; an unknown label is refused.
            key = self._vault.open(envelope)
            if key is None:
                continue
            if len(key) != 16:
                raise errors.invalid_field(field=f"root_keys.{name}", reason="want 16 bytes")
            envelope.CopyFrom(self._vault.seal(key))

    async def set(
        self, device: end_device_pb2.EndDevice, paths: Sequence[str], *, with_keys: bool
    ) -> end_device_pb2.EndDevice:
        paths = fieldmask.validate_paths(_DESCRIPTOR, paths, JS_FIELDS)
        for path in paths:
            if path.split(".", 1)[0] in _READ_ONLY:
                raise errors.field_not_allowed(field=path)
        ids = device.ids
        for field, value in (
            ("application_ids.application_id", ids.application_ids.application_id),
            ("device_id", ids.device_id),
        ):
            if not value:
                raise errors.missing_identifiers(field=f"ids.{field}")
        created: list[bool] = []

        def apply(current: end_device_pb2.EndDevice | None) -> Change:
            created.clear()
            updated = end_device_pb2.EndDevice()
            if current is None:
                if len(ids.join_eui) != 8 or len(ids.dev_eui) != 8:
                    raise errors.missing_identifiers(field="ids.join_eui and ids.dev_eui")
                updated.ids.CopyFrom(ids)
                updated.created_at.CopyFrom(_now())
                created.append(True)
            else:
                updated.CopyFrom(current)
                for name in ("join_eui", "dev_eui"):
                    given = getattr(ids, name)
                    if given and given != getattr(current.ids, name):
                        raise errors.identifiers_changed(device=_name(ids))
            fieldmask.apply(device, updated, [p for p in paths if p.split(".", 1)[0] != "ids"])
            self._seal_root_keys(updated)
            updated.updated_at.CopyFrom(_now())
            return Change(updated)

        change = await self._store.update(ids.application_ids.application_id, ids.device_id, apply)
        assert change.device is not None
        if self._bus is not None:
            definition = DEVICE_CREATE if created else DEVICE_UPDATE
            await self._bus.publish(definition, identifiers=[change.device.ids])
        return self._view(change.device, paths, with_keys)

    async def delete(self, ids: identifiers_pb2.EndDeviceIdentifiers) -> None:
        found: list[end_device_pb2.EndDevice] = []

        def apply(current: end_device_pb2.EndDevice | None) -> Change:
            if current is None:
                raise errors.device_not_found(device=_name(ids))
            found[:] = [current]
            return Change(None)

        await self._store.update(ids.application_ids.application_id, ids.device_id, apply)
        if self._bus is not None:
            await self._bus.publish(DEVICE_DELETE, identifiers=[found[0].ids])
