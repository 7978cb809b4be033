"""``lorastack organizations``: OrganizationRegistry, its API keys and members (OrganizationAccess)."""

from __future__ import annotations

from lorastack.cli import flags
from lorastack.cli.api_keys import add_api_keys
from lorastack.cli.collaborators import add_collaborators
from lorastack.cli.entity import EntityKind, add_crud

__all__ = ["KIND", "register"]

KIND = EntityKind(
    kind="organization",
    registry="OrganizationRegistry",
    access="OrganizationAccess",
    id_field="organization_id",
    read_paths=("name", "description", "attributes"),
    owner_kinds=("user",),
    right_kinds=("organization", "application", "gateway", "client"),
)


def register(sub: flags.SubParsers) -> None:
    orgs = flags.group(
        sub, "organizations", "organizations, their API keys and members", ["organization", "orgs", "org"]
    )
    add_crud(orgs, KIND)
    add_api_keys(orgs, KIND)
    add_collaborators(orgs, KIND)
