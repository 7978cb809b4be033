"""Entity references carried by events, and their place in a NATS subject.

A reference is the small internal twin of ``ttn.lorawan.v3.EntityIdentifiers``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "EntityKind",
    "EntityRef",
    "InvalidIdentifierError",
    "application",
    "client",
    "end_device",
    "gateway",
    "organization",
    "user",
    "validate_id",
]

# The Things Stack restricts IDs to lowercase letters, digits and dashes; that is also
# exactly what keeps an ID safe as one NATS subject token.
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,63})$")


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
        validate_id(self.id, f"{self.kind.name.lower()} id")
        if self.kind is EntityKind.END_DEVICE:
            validate_id(self.application_id, "application id")
        elif self.application_id:
            raise InvalidIdentifierError("only end devices carry an application id")

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


def gateway(gateway_id: str) -> EntityRef:
    return EntityRef(EntityKind.GATEWAY, gateway_id)


def client(client_id: str) -> EntityRef:
    return EntityRef(EntityKind.CLIENT, client_id)


def organization(organization_id: str) -> EntityRef:
    return EntityRef(EntityKind.ORGANIZATION, organization_id)


def user(user_id: str) -> EntityRef:
    return EntityRef(EntityKind.USER, user_id)
