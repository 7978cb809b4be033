"""The Identity Server's events (``is.<entity>.create|update|delete``, The Things Stack's names)."""

from __future__ import annotations

from lorastack import events
from lorastack.events import EventBus, EventDefinition
from ttn.lorawan.v3 import rights_pb2 as r

__all__ = ["DEFINITIONS", "EventNotifier"]

_VISIBILITY = {
    "application": (r.RIGHT_APPLICATION_INFO,),
    "end_device": (r.RIGHT_APPLICATION_DEVICES_READ,),
    "gateway": (r.RIGHT_GATEWAY_INFO,),
    "organization": (r.RIGHT_ORGANIZATION_INFO,),
    "user": (r.RIGHT_USER_INFO,),
}
_KEY_VISIBILITY = (
    r.RIGHT_APPLICATION_SETTINGS_API_KEYS,
    r.RIGHT_GATEWAY_SETTINGS_API_KEYS,
    r.RIGHT_ORGANIZATION_SETTINGS_API_KEYS,
    r.RIGHT_USER_SETTINGS_API_KEYS,
)
_COLLABORATOR_VISIBILITY = (
    r.RIGHT_APPLICATION_SETTINGS_COLLABORATORS,
    r.RIGHT_GATEWAY_SETTINGS_COLLABORATORS,
    r.RIGHT_ORGANIZATION_SETTINGS_MEMBERS,
)


def _definitions() -> dict[str, EventDefinition]:
    out: dict[str, EventDefinition] = {}
    for entity, visibility in _VISIBILITY.items():
        for op in ("create", "update", "delete"):
            name = f"is.{entity}.{op}"
            out[name] = events.define(name, description=f"{entity} {op}d", visibility=visibility)
    for op in ("create", "update", "delete"):
        out[f"is.api_key.{op}"] = events.define(
            f"is.api_key.{op}", description=f"API key {op}d", visibility=_KEY_VISIBILITY
        )
    for op in ("update", "delete"):
        out[f"is.collaborator.{op}"] = events.define(
            f"is.collaborator.{op}", description=f"collaborator {op}d", visibility=_COLLABORATOR_VISIBILITY
        )
    return out


DEFINITIONS = _definitions()


def _ref(kind: str, entity_id: str) -> events.EntityRef:
    if kind == "end_device":
        app_id, _, device_id = entity_id.partition("/")
        return events.end_device(app_id, device_id)
    maker = {
        "application": events.application,
        "gateway": events.gateway,
        "organization": events.organization,
        "user": events.user,
    }[kind]
    return maker(entity_id)


class EventNotifier:
    """The registries' ``notify`` hook: publishes on the bus (which never raises)."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def __call__(self, name: str, tenant: str, kind: str, entity_id: str) -> None:
        await self._bus.publish(DEFINITIONS[name], identifiers=[_ref(kind, entity_id)], tenant_id=tenant)
