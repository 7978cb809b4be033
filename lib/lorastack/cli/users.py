"""``lorastack users``: the Identity Server's UserRegistry and the users' API keys (UserAccess)."""

from __future__ import annotations

import argparse
from typing import Any

from lorastack.cli import flags
from lorastack.cli.api_keys import add_api_keys
from lorastack.cli.entity import EntityKind, add_crud

__all__ = ["KIND", "register"]


def _flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--primary-email-address", help="the user's email address")
    parser.add_argument("--password", help="the initial password (create only)")
    parser.add_argument("--admin", action=argparse.BooleanOptionalAction, default=None, help="administrator")


def _apply(user: Any, args: argparse.Namespace) -> list[str]:
    paths = []
    if args.primary_email_address is not None:
        user.primary_email_address = args.primary_email_address
        paths.append("primary_email_address")
    if args.password is not None:
        user.password = args.password
    if args.admin is not None:
        user.admin = args.admin
        paths.append("admin")
    return paths


KIND = EntityKind(
    kind="user",
    registry="UserRegistry",
    access="UserAccess",
    id_field="user_id",
    read_paths=("name", "description", "attributes", "primary_email_address", "admin", "state"),
    owner_kinds=(),
    # The proto's UserRegistry has no List.
    listable=False,
    add_flags=_flags,
    apply_flags=_apply,
    right_kinds=("user", "application", "gateway", "organization", "client"),
)


def register(sub: flags.SubParsers) -> None:
    users = flags.group(sub, "users", "user accounts and their API keys", ["user", "usr"])
    add_crud(users, KIND)
    add_api_keys(users, KIND)
