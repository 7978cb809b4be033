"""The four registries of an end device (seed 001): which fields each stores, registration in the order
IS -> JS (OTAA only) -> NS -> AS with rollback of what was created when a later step fails, and
deletion in reverse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from lorastack import fieldmask
from lorastack.cli.context import Session
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2

__all__ = ["REGISTRIES", "Registry", "create_device", "delete_device", "get_device", "registry_paths"]

EndDevice = end_device_pb2.EndDevice


@dataclass(frozen=True, slots=True)
class Registry:
    role: str
    label: str
    service: str
    write_paths: tuple[str, ...]  # what the CLI may write there (seed 001's list for that registry)

    def method(self, name: str) -> str:
        return f"{self.service}/{name}"


IS = Registry(
    "is",
    "Identity Server",
    "EndDeviceRegistry",
    (
        "name",
        "description",
        "attributes",
        "version_ids",
        "network_server_address",
        "application_server_address",
        "join_server_address",
        "service_profile_id",
        "locations",
    ),
)
JS = Registry(
    "js",
    "Join Server",
    "JsEndDeviceRegistry",
    (
        "root_keys.app_key",
        "root_keys.nwk_key",
        "resets_join_nonces",
        "net_id",
        "network_server_address",
        "application_server_address",
    ),
)
NS = Registry(
    "ns",
    "Network Server",
    "NsEndDeviceRegistry",
    (
        "frequency_plan_id",
        "lorawan_version",
        "lorawan_phy_version",
        "supports_join",
        "supports_class_b",
        "supports_class_c",
        "multicast",
        "mac_settings",
        "session.dev_addr",
        "session.keys.session_key_id",
        "session.keys.f_nwk_s_int_key",
        "session.keys.s_nwk_s_int_key",
        "session.keys.nwk_s_enc_key",
    ),
)
AS = Registry(
    "as",
    "Application Server",
    "AsEndDeviceRegistry",
    ("formatters", "session.dev_addr", "session.keys.session_key_id", "session.keys.app_s_key"),
)
REGISTRIES = (IS, JS, NS, AS)


def registry_paths(registry: Registry, device: EndDevice, given: Sequence[str] | None = None) -> list[str]:
    """The paths ``registry`` stores that carry a value in ``device``, limited to ``given`` (top-level or
    nested paths) when that is not None."""
    chosen = [p for p in registry.write_paths if _is_set(device, p)]
    if given is None:
        return chosen
    return [p for p in chosen if any(p == g or p.startswith(g + ".") or g.startswith(p + ".") for g in given)]


def _is_set(message: Any, path: str) -> bool:
    """Whether a path carries a value; scalars always do (zero is a value the registry should store)."""
    head, _, rest = path.partition(".")
    field = message.DESCRIPTOR.fields_by_name[head]
    if field.is_repeated:
        return len(getattr(message, head)) > 0
    if field.message_type is None:
        return True
    if not message.HasField(head):
        return False
    return rest == "" or _is_set(getattr(message, head), rest)


def _set_request(session: Session, registry: Registry, device: EndDevice, paths: Sequence[str]) -> Any:
    method = registry.method("Set")
    request = session.client.request(method)
    request.end_device.CopyFrom(fieldmask.select(device, ["ids", *paths]))
    request.field_mask.paths.extend(paths)
    return request


async def create_device(session: Session, device: EndDevice, otaa: bool) -> EndDevice:
    """Register in the order of seed 001; on the first failure undo what was created, then re-raise."""
    steps = [IS, JS, NS, AS] if otaa else [IS, NS, AS]
    done: list[Registry] = []
    merged = EndDevice()
    try:
        for registry in steps:
            paths = registry_paths(registry, device)
            if registry is IS:
                request = session.client.request(IS.method("Create"))
                request.end_device.CopyFrom(fieldmask.select(device, ["ids", *paths]))
                merged.MergeFrom(await session.client.call(IS.method("Create"), request))
            else:
                _merge(
                    merged,
                    await session.client.call(registry.method("Set"), _set_request(session, registry, device, paths)),
                )
            done.append(registry)
    except grpc.aio.AioRpcError:
        session.out.note(f"registration failed at the {steps[len(done)].label}; removing what was created")
        await _remove(session, device.ids, list(reversed(done)))
        raise
    # Registries hide keys in their answers; the operator needs the ones the CLI generated, once.
    if device.HasField("root_keys"):
        merged.root_keys.MergeFrom(device.root_keys)
    if device.session.HasField("keys"):
        merged.session.keys.MergeFrom(device.session.keys)
    return merged


def _merge(merged: EndDevice, part: EndDevice) -> None:
    """Add one registry's view to the merged device; identifiers and timestamps come from the IS."""
    part = EndDevice.FromString(part.SerializeToString())
    for name in ("ids", "created_at", "updated_at"):
        part.ClearField(name)
    _prune(part)
    merged.MergeFrom(part)


def _prune(message: Any) -> bool:
    """Clear sub-messages that hold nothing (a registry that blanks keys leaves such shells); True if empty."""
    for field, value in message.ListFields():
        if field.message_type is not None and not field.is_repeated and _prune(value):
            message.ClearField(field.name)
    return not message.ListFields()


async def _remove(
    session: Session,
    ids: identifiers_pb2.EndDeviceIdentifiers,
    registries: Sequence[Registry],
    *,
    skip_missing: bool = False,
) -> list[str]:
    """Delete from each registry in turn, carrying on past failures; returns the ones that failed."""
    left: list[str] = []
    for registry in registries:
        try:
            await session.client.call(registry.method("Delete"), ids)
            session.out.note(f"removed from the {registry.label}")
        except grpc.aio.AioRpcError as err:
            if skip_missing and err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED):
                continue
            session.out.note(f"could not remove from the {registry.label}: {err.code().name} {err.details()}")
            left.append(registry.label)
    return left


async def delete_device(session: Session, ids: identifiers_pb2.EndDeviceIdentifiers) -> list[str]:
    """AS, NS and JS first (skipping those that never had the device), the IS last; the IS's error is raised."""
    left = await _remove(session, ids, [AS, NS, JS], skip_missing=True)
    await session.client.call(IS.method("Delete"), ids)
    return left


async def get_device(session: Session, ids: identifiers_pb2.EndDeviceIdentifiers, with_keys: bool) -> EndDevice:
    """One EndDevice merged from the registries; a registry without the device contributes nothing."""
    merged = EndDevice()
    for registry in REGISTRIES:
        method = registry.method("Get")
        request = session.client.request(method, end_device_ids=ids)
        request.field_mask.paths.extend(_read_paths(registry, with_keys))
        try:
            part = await session.client.call(method, request)
        except grpc.aio.AioRpcError as err:
            if registry is IS or err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED):
                raise
            continue
        if registry is IS:
            merged.MergeFrom(part)
        else:
            _merge(merged, part)
    return merged


def _read_paths(registry: Registry, with_keys: bool) -> list[str]:
    paths = [p for p in registry.write_paths if with_keys or not _is_key_path(p)]
    return paths + list(_EXTRA_READ.get(registry.role, ()))


def _is_key_path(path: str) -> bool:
    return path.startswith("root_keys") or (".keys." in path and not path.endswith("session_key_id"))


_EXTRA_READ = {
    "js": ("last_dev_nonce", "last_join_nonce"),
    "ns": ("session.last_f_cnt_up", "session.last_n_f_cnt_down", "last_seen_at"),
}
