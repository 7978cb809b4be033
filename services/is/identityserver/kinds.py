"""Per entity kind: which rights guard which operation (The Things Stack's right names)."""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.rights import implied_by
from ttn.lorawan.v3 import rights_pb2 as r

__all__ = ["KINDS", "RightsOfKind", "all_rights_of"]


@dataclass(frozen=True, slots=True)
class RightsOfKind:
    all: int
    info: int
    settings_basic: int
    delete: int
    api_keys: int
    collaborators: int


KINDS: dict[str, RightsOfKind] = {
    "application": RightsOfKind(
        r.RIGHT_APPLICATION_ALL,
        r.RIGHT_APPLICATION_INFO,
        r.RIGHT_APPLICATION_SETTINGS_BASIC,
        r.RIGHT_APPLICATION_DELETE,
        r.RIGHT_APPLICATION_SETTINGS_API_KEYS,
        r.RIGHT_APPLICATION_SETTINGS_COLLABORATORS,
    ),
    "gateway": RightsOfKind(
        r.RIGHT_GATEWAY_ALL,
        r.RIGHT_GATEWAY_INFO,
        r.RIGHT_GATEWAY_SETTINGS_BASIC,
        r.RIGHT_GATEWAY_DELETE,
        r.RIGHT_GATEWAY_SETTINGS_API_KEYS,
        r.RIGHT_GATEWAY_SETTINGS_COLLABORATORS,
    ),
    "organization": RightsOfKind(
        r.RIGHT_ORGANIZATION_ALL,
        r.RIGHT_ORGANIZATION_INFO,
        r.RIGHT_ORGANIZATION_SETTINGS_BASIC,
        r.RIGHT_ORGANIZATION_DELETE,
        r.RIGHT_ORGANIZATION_SETTINGS_API_KEYS,
        r.RIGHT_ORGANIZATION_SETTINGS_MEMBERS,
    ),
    # Clients have no API keys; their collaborators right stands in so the table stays uniform.
    "client": RightsOfKind(
        r.RIGHT_CLIENT_ALL,
        r.RIGHT_CLIENT_INFO,
        r.RIGHT_CLIENT_SETTINGS_BASIC,
        r.RIGHT_CLIENT_DELETE,
        r.RIGHT_CLIENT_SETTINGS_COLLABORATORS,
        r.RIGHT_CLIENT_SETTINGS_COLLABORATORS,
    ),
    "user": RightsOfKind(
        r.RIGHT_USER_ALL,
        r.RIGHT_USER_INFO,
        r.RIGHT_USER_SETTINGS_BASIC,
        r.RIGHT_USER_DELETE,
        r.RIGHT_USER_SETTINGS_API_KEYS,
        r.RIGHT_USER_SETTINGS_BASIC,
    ),
}

# Which right of the collaborator account allows creating and listing entities of a kind.
CREATE_AS: dict[tuple[str, str], int] = {
    ("user", "application"): r.RIGHT_USER_APPLICATIONS_CREATE,
    ("organization", "application"): r.RIGHT_ORGANIZATION_APPLICATIONS_CREATE,
    ("user", "gateway"): r.RIGHT_USER_GATEWAYS_CREATE,
    ("organization", "gateway"): r.RIGHT_ORGANIZATION_GATEWAYS_CREATE,
    ("user", "organization"): r.RIGHT_USER_ORGANIZATIONS_CREATE,
    ("user", "client"): r.RIGHT_USER_CLIENTS_CREATE,
    ("organization", "client"): r.RIGHT_ORGANIZATION_CLIENTS_CREATE,
}
LIST_AS: dict[tuple[str, str], int] = {
    ("user", "application"): r.RIGHT_USER_APPLICATIONS_LIST,
    ("organization", "application"): r.RIGHT_ORGANIZATION_APPLICATIONS_LIST,
    ("user", "gateway"): r.RIGHT_USER_GATEWAYS_LIST,
    ("organization", "gateway"): r.RIGHT_ORGANIZATION_GATEWAYS_LIST,
    ("user", "organization"): r.RIGHT_USER_ORGANIZATIONS_LIST,
    ("user", "client"): r.RIGHT_USER_CLIENTS_LIST,
    ("organization", "client"): r.RIGHT_ORGANIZATION_CLIENTS_LIST,
}


def all_rights_of(kind: str) -> frozenset[int]:
    """Every (expanded) right of one entity kind."""
    return implied_by(KINDS[kind].all)
