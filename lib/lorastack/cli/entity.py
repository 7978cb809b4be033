"""create/get/list/update/delete for the Identity Server's entities, one implementation for all kinds.

The request messages are looked up by method name, so a kind is described by data (:class:`EntityKind`)
instead of four near-identical handler sets.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError
from ttn.lorawan.v3 import identifiers_pb2

__all__ = ["EntityKind", "add_crud", "caller_account", "ids_of", "owner_of"]

Extra = Callable[[argparse.ArgumentParser], None]
ApplyExtra = Callable[[Any, argparse.Namespace], list[str]]


def _no_flags(_parser: argparse.ArgumentParser) -> None:
    return None


def _no_fields(_message: Any, _args: argparse.Namespace) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class EntityKind:
    kind: str  # "application": the rights prefix and the name in messages
    registry: str  # gRPC service name, package implied
    access: str
    id_field: str  # the id inside its identifiers message
    read_paths: tuple[str, ...]
    owner_kinds: tuple[str, ...] = ("user", "organization")  # who may own it; empty: no collaborator
    listable: bool = True
    add_flags: Extra = _no_flags
    apply_flags: ApplyExtra = _no_fields
    right_kinds: tuple[str, ...] = field(default=())

    @property
    def id_flag(self) -> str:
        return "--" + self.id_field.replace("_", "-")

    @property
    def id_dest(self) -> str:
        return self.id_field

    @property
    def ids_field(self) -> str:
        return f"{self.kind}_ids"

    def method(self, name: str) -> str:
        return f"{self.registry}/{name}"


def ids_of(kind: EntityKind, args: argparse.Namespace) -> Any:
    """The identifiers message of the entity named on the command line."""
    entity_id = flags.require(getattr(args, kind.id_dest, None), kind.id_flag)
    cls = getattr(identifiers_pb2, f"{kind.kind.title()}Identifiers")
    return cls(**{kind.id_field: entity_id})


def _owner_flags(parser: argparse.ArgumentParser, kind: EntityKind, what: str) -> None:
    for owner in kind.owner_kinds:
        if owner != kind.kind:
            parser.add_argument(f"--{owner}-id", help=f"the {owner} {what}")


def owner_of(kind: EntityKind, args: argparse.Namespace) -> identifiers_pb2.OrganizationOrUserIdentifiers | None:
    """The collaborator named by ``--user-id`` / ``--organization-id``, if any."""
    for owner in kind.owner_kinds:
        if owner == kind.kind:
            continue
        value = getattr(args, f"{owner}_id", None)
        if value:
            account = identifiers_pb2.OrganizationOrUserIdentifiers()
            getattr(account, f"{owner}_ids").SetInParent()
            setattr(getattr(account, f"{owner}_ids"), f"{owner}_id", value)
            return account
    return None


async def caller_account(session: Session) -> identifiers_pb2.OrganizationOrUserIdentifiers:
    """The user or organization whose API key the CLI uses (the default owner of what it creates)."""
    info = await session.client.call("EntityAccess/AuthInfo", session.client.request("EntityAccess/AuthInfo"))
    entity = info.api_key.entity_ids
    account = identifiers_pb2.OrganizationOrUserIdentifiers()
    if entity.HasField("user_ids"):
        account.user_ids.CopyFrom(entity.user_ids)
    elif entity.HasField("organization_ids"):
        account.organization_ids.CopyFrom(entity.organization_ids)
    else:
        raise CliError("the API key does not belong to a user or organization: give --user-id or --organization-id")
    return account


def _fill(kind: EntityKind, message: Any, args: argparse.Namespace) -> list[str]:
    message.ids.CopyFrom(ids_of(kind, args))
    flags.set_common(message, args)
    return flags.common_paths(args) + kind.apply_flags(message, args)


async def _create(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = kind.method("Create")
    request = session.client.request(method)
    _fill(kind, getattr(request, kind.kind), args)
    if kind.owner_kinds:
        request.collaborator.CopyFrom(owner_of(kind, args) or await caller_account(session))
    session.out.message(await session.client.call(method, request))


async def _get(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = kind.method("Get")
    request = session.client.request(method)
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    request.field_mask.paths.extend(kind.read_paths)
    session.out.message(await session.client.call(method, request))


async def _list(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = kind.method("List")
    request = session.client.request(method, limit=args.limit, page=args.page)
    request.field_mask.paths.extend(kind.read_paths)
    owner = owner_of(kind, args)
    if owner is not None:
        request.collaborator.CopyFrom(owner)
    response = await session.client.call(method, request)
    session.out.messages(list(getattr(response, kind.kind + "s")))


async def _update(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = kind.method("Update")
    request = session.client.request(method)
    paths = _fill(kind, getattr(request, kind.kind), args)
    if not paths:
        raise CliError("nothing to update: give at least one field flag")
    request.field_mask.paths.extend(paths)
    session.out.message(await session.client.call(method, request))


async def _delete(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    await session.client.call(kind.method("Delete"), ids_of(kind, args))
    session.out.note(f"{kind.kind} {getattr(args, kind.id_dest)} deleted")


def _id_flag(parser: argparse.ArgumentParser, kind: EntityKind) -> None:
    parser.add_argument(kind.id_flag, dest=kind.id_dest, help=f"the {kind.kind} id")


def add_crud(sub: flags.SubParsers, kind: EntityKind, aliases: Sequence[str] = ()) -> None:
    """The five verbs of ``kind`` under the sub-command group ``sub``."""
    create = flags.leaf(sub, "create", f"create a {kind.kind}", partial(_create, kind), ["add", "register"])
    _id_flag(create, kind)
    if kind.owner_kinds:
        _owner_flags(create, kind, "that owns it (default: the owner of the API key)")
    flags.add_common_fields(create)
    kind.add_flags(create)

    get = flags.leaf(sub, "get", f"show a {kind.kind}", partial(_get, kind), ["info"])
    _id_flag(get, kind)

    if kind.listable:
        listing = flags.leaf(sub, "list", f"list {kind.kind}s the caller may see", partial(_list, kind), ["ls"])
        _owner_flags(listing, kind, "whose entities to list")
        listing.add_argument("--limit", type=int, default=0, help="at most this many (0: the server's default)")
        listing.add_argument("--page", type=int, default=0, help="page number, from 1")

    update = flags.leaf(sub, "update", f"change fields of a {kind.kind}", partial(_update, kind), ["set"])
    _id_flag(update, kind)
    flags.add_common_fields(update)
    kind.add_flags(update)

    delete = flags.leaf(sub, "delete", f"delete a {kind.kind}", partial(_delete, kind), ["remove", "rm"])
    _id_flag(delete, kind)
