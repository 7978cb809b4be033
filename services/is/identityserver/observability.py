"""The Identity Server's events (``is.<entity>.create|update|delete``, The Things Stack's names)."""

from __future__ import annotations

from lorastack import events
from lorastack.events import EventBus, EventDefinition
from ttn.lorawan.v3 import rights_pb2 as r

__all__ = ["DEFINITIONS", "EventNotifier"]

_VISIBILITY = {
    "application": (r.RIGHT_APPLICATION_INFO,),
    "client": (r.RIGHT_CLIENT_INFO,),
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
    r.RIGHT_CLIENT_SETTINGS_COLLABORATORS,
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
    for name, description in _USER_EVENTS.items():
        out[name] = events.define(name, description=description, visibility=(r.RIGHT_USER_ALL,))
    return out


# Events about a user's logins and grants; only the user (or an admin) sees them.
_USER_EVENTS = {
    "is.user.session.create": "user session created",
    "is.user.session.delete": "user session deleted",
    "is.oauth.authorization.create": "OAuth client authorized",
    "is.oauth.authorization.delete": "OAuth authorization deleted",
    "is.oauth.access_token.create": "OAuth access token issued",
    "is.oauth.access_token.delete": "OAuth access token revoked",
    "is.invitation.create": "invitation sent",
    "is.invitation.delete": "invitation deleted",
    "is.contact_info.validate": "contact info validated",
}


DEFINITIONS = _definitions()


def _ref(kind: str, entity_id: str) -> events.EntityRef:
    if kind == "end_device":
        app_id, _, device_id = entity_id.partition("/")
        return events.end_device(app_id, device_id)
    maker = {
        "application": events.application,
        "client": events.client,
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
