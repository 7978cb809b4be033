"""The NS end device registry: the NS fields of an EndDevice (seed 001), read and written with
field masks, with consistency checks before anything is stored."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence

from google.protobuf import timestamp_pb2

from lorastack import fieldmask
from lorastack.lorawan import DevAddr, DevAddrPrefix
from networkserver import errors
from networkserver.macstate import initial_mac_state, plan_and_band
from networkserver.observability import EVT_DEVICE_CREATE, EVT_DEVICE_DELETE, EVT_DEVICE_UPDATE, Publisher
from networkserver.store import NEW_DEVICE, DeviceRegistry, StoreConflictError, StoredDevice
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

__all__ = [
    "GET_PATHS",
    "SET_PATHS",
    "DeviceManager",
    "generate_dev_addr",
    "paths_with_keys",
    "update_device",
]

# What a client may write: seed 001's NS fields plus the session counters TTS also lets through.
SET_PATHS = (
    "ids",
    "frequency_plan_id",
    "lorawan_phy_version",
    "lorawan_version",
    "mac_settings",
    "mac_state",
    "pending_mac_state",
    "supports_join",
    "multicast",
    "supports_class_b",
    "supports_class_c",
    "session",
    "pending_session",
)
GET_PATHS = (
    *SET_PATHS,
    "created_at",
    "updated_at",
    "battery_percentage",
    "downlink_margin",
    "power_state",
    "last_dev_status_received_at",
    "last_seen_at",
)
_KEY_PATHS = ("session.keys", "pending_session.keys")

# MAC version -> the PHY versions it may be paired with (LoRaWAN Regional Parameters editions).
_RP002 = tuple(range(lorawan_pb2.RP002_V1_0_0, lorawan_pb2.RP002_V1_0_4 + 1))
_COMPATIBLE_PHY: dict[int, tuple[int, ...]] = {
    lorawan_pb2.MAC_V1_0: (lorawan_pb2.PHY_V1_0,),
    lorawan_pb2.MAC_V1_0_1: (lorawan_pb2.PHY_V1_0_1,),
    lorawan_pb2.MAC_V1_0_2: (lorawan_pb2.PHY_V1_0_2_REV_A, lorawan_pb2.PHY_V1_0_2_REV_B),
    lorawan_pb2.MAC_V1_0_3: (lorawan_pb2.PHY_V1_0_3_REV_A,),
    lorawan_pb2.MAC_V1_0_4: (lorawan_pb2.PHY_V1_0_3_REV_A, *_RP002),
    lorawan_pb2.MAC_V1_1: (lorawan_pb2.PHY_V1_1_REV_A, lorawan_pb2.PHY_V1_1_REV_B, *_RP002),
}

_MAX_ATTEMPTS = 16


def paths_with_keys(paths: Sequence[str]) -> bool:
    """Whether the mask reaches session keys (which need the _KEYS rights)."""
    for path in paths:
        for key_path in _KEY_PATHS:
            if path == key_path or path.startswith(key_path + ".") or key_path.startswith(path + "."):
                return True
    return False


def generate_dev_addr(prefixes: Sequence[DevAddrPrefix]) -> DevAddr:
    """A random DevAddr inside one of ``prefixes``, chosen at random."""
    if not prefixes:
        raise errors.ERR_NO_DEV_ADDR_PREFIX()
    prefix = prefixes[int.from_bytes(os.urandom(2), "big") % len(prefixes)]
    return DevAddr(os.urandom(4)).with_prefix(prefix)


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _check_session(device: end_device_pb2.EndDevice, session: end_device_pb2.Session, name: str) -> None:
    if len(session.dev_addr) != 4:
        raise errors.ERR_INVALID_FIELD(field=f"{name}.dev_addr", reason="must be 4 bytes")
    needed = ["f_nwk_s_int_key"]
    if device.lorawan_version == lorawan_pb2.MAC_V1_1:
        needed += ["s_nwk_s_int_key", "nwk_s_enc_key"]
    for key_name in needed:
        envelope = getattr(session.keys, key_name)
        if len(envelope.key) != 16 and not envelope.encrypted_key:
            raise errors.ERR_INVALID_FIELD(field=f"{name}.keys.{key_name}", reason="a 16-byte key is required")


def validate_device(device: end_device_pb2.EndDevice) -> None:
    """Refuse devices the NS could not serve; the message names the offending field."""
    ids = device.ids
    if not ids.device_id or not ids.application_ids.application_id:
        raise errors.ERR_INVALID_FIELD(field="ids", reason="application and device id are required")
    if not device.frequency_plan_id:
        raise errors.ERR_INVALID_FIELD(field="frequency_plan_id", reason="required")
    try:
        plan_and_band(device.frequency_plan_id)
    except Exception as err:
        raise errors.ERR_UNKNOWN_FREQUENCY_PLAN(id=device.frequency_plan_id, cause=err) from None
    compatible = _COMPATIBLE_PHY.get(device.lorawan_version)
    if compatible is None:
        raise errors.ERR_INVALID_FIELD(field="lorawan_version", reason="unknown or unset MAC version")
    if device.lorawan_phy_version not in compatible:
        raise errors.ERR_INVALID_DEVICE(
            reason=f"PHY version {lorawan_pb2.PHYVersion.Name(device.lorawan_phy_version)} does not go with "
            f"MAC version {lorawan_pb2.MACVersion.Name(device.lorawan_version)}"
        )
    if device.multicast and device.supports_join:
        raise errors.ERR_INVALID_DEVICE(reason="a multicast device cannot join")
    if not device.supports_join:
        if not device.HasField("session"):
            raise errors.ERR_INVALID_DEVICE(reason="an ABP device needs a session (dev_addr and keys)")
        _check_session(device, device.session, "session")
    if device.HasField("pending_session"):
        _check_session(device, device.pending_session, "pending_session")
    for state in (device.mac_state, device.pending_mac_state):
        if state.device_class == lorawan_pb2.CLASS_C and not device.supports_class_c:
            raise errors.ERR_INVALID_DEVICE(reason="class C requires supports_class_c")
        if state.device_class == lorawan_pb2.CLASS_B and not device.supports_class_b:
            raise errors.ERR_INVALID_DEVICE(reason="class B requires supports_class_b")


Mutation = Callable[[end_device_pb2.EndDevice], Awaitable[Sequence[messages_pb2.ApplicationUp] | None]]


async def update_device(
    registry: DeviceRegistry,
    application_id: str,
    device_id: str,
    mutate: Mutation,
    *,
    create: bool = False,
    known: StoredDevice | None = None,
    downlink_at_ms: int | None = None,
) -> StoredDevice:
    """Read, mutate and compare-and-set until no concurrent writer got in between; a record the
    caller has just read (``known``) saves the first read. ``downlink_at_ms`` makes the device's
    downlink task due then, in the same write."""
    for attempt in range(_MAX_ATTEMPTS):
        stored = known if attempt == 0 and known is not None else await registry.get(application_id, device_id)
        if stored is None and not create:
            raise errors.ERR_DEVICE_NOT_FOUND(device_id=device_id)
        device = end_device_pb2.EndDevice()
        if stored is not None:
            device.CopyFrom(stored.device)
        ups = await mutate(device) or ()
        try:
            version = await registry.put(
                application_id,
                device_id,
                device,
                stored.version if stored else NEW_DEVICE,
                ups,
                downlink_at_ms=downlink_at_ms,
            )
        except StoreConflictError:
            continue
        return StoredDevice(application_id, device_id, version, device)
    raise errors.ERR_STORE_CONFLICT(device_id=device_id)


class DeviceManager:
    """Get, Set and Delete of NsEndDeviceRegistry, after the servicer checked rights."""

    def __init__(self, registry: DeviceRegistry, publisher: Publisher) -> None:
        self._registry = registry
        self._publisher = publisher

    async def get(self, application_key: str, device_id: str, paths: Sequence[str]) -> end_device_pb2.EndDevice:
        stored = await self._registry.get(application_key, device_id)
        if stored is None:
            raise errors.ERR_DEVICE_NOT_FOUND(device_id=device_id)
        out = fieldmask.select(stored.device, ["ids", *paths]) if paths else end_device_pb2.EndDevice()
        out.ids.CopyFrom(stored.device.ids)
        return out

    async def set(
        self, application_key: str, device: end_device_pb2.EndDevice, paths: Sequence[str]
    ) -> end_device_pb2.EndDevice:
        """Create or update; ``application_key`` is where the application is stored (see tenancy)."""
        app_id, dev_id = device.ids.application_ids.application_id, device.ids.device_id
        created = False

        async def mutate(target: end_device_pb2.EndDevice) -> None:
            nonlocal created
            created = not target.HasField("ids")
            now = _now()
            if created:
                target.ids.CopyFrom(device.ids)
                target.created_at.CopyFrom(now)
            elif device.ids.dev_eui and target.ids.dev_eui and device.ids.dev_eui != target.ids.dev_eui:
                raise errors.ERR_INVALID_FIELD(field="ids.dev_eui", reason="cannot change")
            fieldmask.apply(device, target, paths)
            target.ids.application_ids.application_id = app_id
            target.ids.device_id = dev_id
            target.updated_at.CopyFrom(now)
            validate_device(target)
            if target.HasField("session") and not target.HasField("mac_state"):
                target.mac_state.CopyFrom(initial_mac_state(target))
            if not target.session.HasField("started_at") and target.HasField("session"):
                target.session.started_at.CopyFrom(now)

        stored = await update_device(self._registry, application_key, dev_id, mutate, create=True)
        event = EVT_DEVICE_CREATE if created else EVT_DEVICE_UPDATE
        await self._publisher.device(event, app_id, dev_id)
        out = fieldmask.select(stored.device, ["ids", "created_at", "updated_at", *paths])
        return out

    async def delete(self, application_key: str, device_id: str) -> None:
        if not await self._registry.delete(application_key, device_id):
            raise errors.ERR_DEVICE_NOT_FOUND(device_id=device_id)
        await self._publisher.device(EVT_DEVICE_DELETE, application_key.partition("@")[0], device_id)
