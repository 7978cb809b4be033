"""Provisioners: turn vendor provisioning data into end device identifiers (JsEndDeviceRegistry.Provision)."""

from joinserver.provisioning.base import EntryError, Provisioner, Provisioners
from joinserver.provisioning.jsonlist import JSON_PROVISIONER_ID, JsonProvisioner

__all__ = [
    "JSON_PROVISIONER_ID",
    "EntryError",
    "JsonProvisioner",
    "Provisioner",
    "Provisioners",
    "default_provisioners",
]


def default_provisioners() -> Provisioners:
    """The provisioners a Join Server offers out of the box."""
    return Provisioners({JSON_PROVISIONER_ID: JsonProvisioner()})
