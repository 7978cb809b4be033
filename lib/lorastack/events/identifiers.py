"""Entity references carried by events, and their place in a NATS subject.

A reference is the hashable, validated core of ``ttn.lorawan.v3.EntityIdentifiers``. An end device
known only by its EUIs (a join-request from an unregistered device) lives under a reserved application.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TypeAlias

from ttn.lorawan.v3 import identifiers_pb2 as ids_pb

__all__ = [
    "EUI_ONLY_APPLICATION",
    "AnyIdentifiers",
    "EntityKind",
    "EntityRef",
    "InvalidIdentifierError",
    "application",
    "as_entity_identifiers",
    "as_ref",
    "client",
    "end_device",
    "end_device_eui",
    "gateway",
    "organization",
    "user",
    "validate_id",
]

# The Things Stack restricts IDs to lowercase letters, digits and dashes; that is also
# exactly what keeps an ID safe as one NATS subject token.
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,63})$")
# The application token of devices known only by EUIs: an underscore can start no real ID, so it
# never collides with an application, and it is still one plain NATS subject token.
EUI_ONLY_APPLICATION = "_eui"
_EUI_PAIR = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{16}$")


class InvalidIdentifierError(ValueError):
    """An ID that would not make one safe NATS subject token."""


def validate_id(value: str, what: str = "id") -> str:
    """Return ``value`` when it is a valid entity or tenant ID, else raise."""
    if not _ID.match(value):
        raise InvalidIdentifierError(f"invalid {what} `{value}`: want 1-64 of [a-z0-9-]")
    return value


class EntityKind(enum.Enum):
    """The oneof cases of ``EntityIdentifiers``; the value is the subject token."""

    APPLICATION = "app"
    CLIENT = "cli"
    END_DEVICE = "dev"
    GATEWAY = "gtw"
    ORGANIZATION = "org"
    USER = "usr"


@dataclass(frozen=True, slots=True)
class EntityRef:
    """One entity. End devices also carry their application's ID."""

    kind: EntityKind
    id: str
    application_id: str = ""

    def __post_init__(self) -> None:
        if self.kind is EntityKind.END_DEVICE and self.application_id == EUI_ONLY_APPLICATION:
            if not _EUI_PAIR.match(self.id):
                raise InvalidIdentifierError(f"invalid EUI-only device `{self.id}`: want <join eui>-<dev eui>")
            return
        validate_id(self.id, f"{self.kind.name.lower()} id")
        if self.kind is EntityKind.END_DEVICE:
            validate_id(self.application_id, "application id")
        elif self.application_id:
            raise InvalidIdentifierError("only end devices carry an application id")

    @property
    def is_eui_only(self) -> bool:
        """An end device known only by its JoinEUI and DevEUI, not registered under an application."""
        return self.kind is EntityKind.END_DEVICE and self.application_id == EUI_ONLY_APPLICATION

    @property
    def euis(self) -> tuple[bytes, bytes]:
        """JoinEUI and DevEUI of an EUI-only device."""
        if not self.is_eui_only:
            raise ValueError("only EUI-only devices are named by their EUIs")
        join_hex, _, dev_hex = self.id.partition("-")
        return bytes.fromhex(join_hex), bytes.fromhex(dev_hex)

    def subject_tokens(self) -> tuple[str, str, str]:
        """Entity part of the subject: kind, owner ID, sub-entity ID.

        A device lives under its application's tokens so that one published copy
        matches both an application filter and a device filter.
        """
        if self.kind is EntityKind.END_DEVICE:
            return (EntityKind.APPLICATION.value, self.application_id, self.id)
        return (self.kind.value, self.id, "_")

    @classmethod
    def from_subject_tokens(cls, kind: str, owner: str, sub: str) -> EntityRef:
        """Inverse of :meth:`subject_tokens`."""
        if kind == EntityKind.APPLICATION.value and sub != "_":
            return cls(EntityKind.END_DEVICE, sub, owner)
        return cls(EntityKind(kind), owner)

    def covers(self, other: EntityRef) -> bool:
        """Whether a subscriber to ``self`` sees events about ``other``."""
        if self == other:
            return True
        return (
            self.kind is EntityKind.APPLICATION
            and other.kind is EntityKind.END_DEVICE
            and other.application_id == self.id
        )


def application(application_id: str) -> EntityRef:
    return EntityRef(EntityKind.APPLICATION, application_id)


def end_device(application_id: str, device_id: str) -> EntityRef:
    return EntityRef(EntityKind.END_DEVICE, device_id, application_id)


def end_device_eui(join_eui: bytes, dev_eui: bytes) -> EntityRef:
    """An end device known only by its EUIs; a missing JoinEUI (rejoin types 0 and 2) is zero."""
    join_eui = join_eui or bytes(8)
    if len(join_eui) != 8 or len(dev_eui) != 8:
        raise InvalidIdentifierError("EUIs have 8 bytes")
    return EntityRef(EntityKind.END_DEVICE, f"{join_eui.hex()}-{dev_eui.hex()}", EUI_ONLY_APPLICATION)


def gateway(gateway_id: str) -> EntityRef:
    return EntityRef(EntityKind.GATEWAY, gateway_id)


def client(client_id: str) -> EntityRef:
    return EntityRef(EntityKind.CLIENT, client_id)


def organization(organization_id: str) -> EntityRef:
    return EntityRef(EntityKind.ORGANIZATION, organization_id)


def user(user_id: str) -> EntityRef:
    return EntityRef(EntityKind.USER, user_id)


# What publish and subscribe accept: the API's identifiers, wrapped or not, or a reference.
AnyIdentifiers: TypeAlias = (
    EntityRef
    | ids_pb.EntityIdentifiers
    | ids_pb.ApplicationIdentifiers
    | ids_pb.ClientIdentifiers
    | ids_pb.EndDeviceIdentifiers
    | ids_pb.GatewayIdentifiers
    | ids_pb.OrganizationIdentifiers
    | ids_pb.UserIdentifiers
)


def as_ref(value: AnyIdentifiers) -> EntityRef:
    """The reference of any identifiers; raises :class:`InvalidIdentifierError` if unusable."""
    if isinstance(value, EntityRef):
        return value
    if isinstance(value, ids_pb.EntityIdentifiers):
        case = value.WhichOneof("ids")
        if case is None:
            raise InvalidIdentifierError("empty entity identifiers")
        inner: AnyIdentifiers = getattr(value, case)
        return as_ref(inner)
    if isinstance(value, ids_pb.EndDeviceIdentifiers):
        if not value.device_id and not value.application_ids.application_id and value.dev_eui:
            return end_device_eui(value.join_eui, value.dev_eui)
        return end_device(value.application_ids.application_id, value.device_id)
    if isinstance(value, ids_pb.ApplicationIdentifiers):
        return application(value.application_id)
    if isinstance(value, ids_pb.GatewayIdentifiers):
        return gateway(value.gateway_id)
    if isinstance(value, ids_pb.ClientIdentifiers):
        return client(value.client_id)
    if isinstance(value, ids_pb.OrganizationIdentifiers):
        return organization(value.organization_id)
    return user(value.user_id)


def as_entity_identifiers(value: AnyIdentifiers) -> ids_pb.EntityIdentifiers:
    """Wrap ``value`` in ``EntityIdentifiers``, keeping EUIs and DevAddr when it has them."""
    if isinstance(value, ids_pb.EntityIdentifiers):
        return value
    if isinstance(value, ids_pb.EndDeviceIdentifiers):
        return ids_pb.EntityIdentifiers(device_ids=value)
    if isinstance(value, ids_pb.ApplicationIdentifiers):
        return ids_pb.EntityIdentifiers(application_ids=value)
    if isinstance(value, ids_pb.GatewayIdentifiers):
        return ids_pb.EntityIdentifiers(gateway_ids=value)
    if isinstance(value, ids_pb.ClientIdentifiers):
        return ids_pb.EntityIdentifiers(client_ids=value)
    if isinstance(value, ids_pb.OrganizationIdentifiers):
        return ids_pb.EntityIdentifiers(organization_ids=value)
    if isinstance(value, ids_pb.UserIdentifiers):
        return ids_pb.EntityIdentifiers(user_ids=value)
    return _ref_to_proto(value)


def _ref_to_proto(ref: EntityRef) -> ids_pb.EntityIdentifiers:
    match ref.kind:
        case EntityKind.END_DEVICE if ref.is_eui_only:
            join_eui, dev_eui = ref.euis
            return ids_pb.EntityIdentifiers(device_ids=ids_pb.EndDeviceIdentifiers(join_eui=join_eui, dev_eui=dev_eui))
        case EntityKind.END_DEVICE:
            app_ids = ids_pb.ApplicationIdentifiers(application_id=ref.application_id)
            return ids_pb.EntityIdentifiers(
                device_ids=ids_pb.EndDeviceIdentifiers(device_id=ref.id, application_ids=app_ids)
            )
        case EntityKind.APPLICATION:
            return ids_pb.EntityIdentifiers(application_ids=ids_pb.ApplicationIdentifiers(application_id=ref.id))
        case EntityKind.GATEWAY:
            return ids_pb.EntityIdentifiers(gateway_ids=ids_pb.GatewayIdentifiers(gateway_id=ref.id))
        case EntityKind.CLIENT:
            return ids_pb.EntityIdentifiers(client_ids=ids_pb.ClientIdentifiers(client_id=ref.id))
        case EntityKind.ORGANIZATION:
            return ids_pb.EntityIdentifiers(organization_ids=ids_pb.OrganizationIdentifiers(organization_id=ref.id))
        case EntityKind.USER:
            return ids_pb.EntityIdentifiers(user_ids=ids_pb.UserIdentifiers(user_id=ref.id))
