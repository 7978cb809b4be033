"""``<entity> collaborators list|get|set|delete``: who holds which rights on an application, gateway or
organization. Removing a collaborator is setting it with no rights, as the *Access services define."""

from __future__ import annotations

import argparse
from functools import partial

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.entity import EntityKind, ids_of, owner_of
from lorastack.cli.errors import CliError

__all__ = ["add_collaborators"]


def _member(kind: EntityKind, args: argparse.Namespace) -> object:
    member = owner_of(kind, args)
    if member is None:
        names = " or ".join(f"--{k}-id" for k in kind.owner_kinds if k != kind.kind)
        raise CliError(f"{names} is required")
    return member


async def _list(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = f"{kind.access}/ListCollaborators"
    request = session.client.request(method, limit=args.limit, page=args.page)
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    session.out.messages(list((await session.client.call(method, request)).collaborators))


async def _get(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = f"{kind.access}/GetCollaborator"
    request = session.client.request(method, collaborator=_member(kind, args))
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    session.out.message(await session.client.call(method, request))


async def _set(kind: EntityKind, args: argparse.Namespace, session: Session, delete: bool = False) -> None:
    method = f"{kind.access}/SetCollaborator"
    request = session.client.request(method)
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    request.collaborator.ids.CopyFrom(_member(kind, args))
    if not delete:
        rights = flags.rights_of(args)
        if not rights:
            raise CliError("give at least one right, e.g. --right-" + kind.kind + "-all")
        request.collaborator.rights.extend(rights)
    await session.client.call(method, request)
    session.out.note("collaborator removed" if delete else "collaborator rights set")


def add_collaborators(sub: flags.SubParsers, kind: EntityKind) -> None:
    group = flags.group(sub, "collaborators", f"collaborators of a {kind.kind}", ["collaborator", "members"])
    members = [k for k in kind.owner_kinds if k != kind.kind]
    for name, text, handler in (
        ("list", "list the collaborators and their rights", partial(_list, kind)),
        ("get", "show one collaborator's rights", partial(_get, kind)),
        ("set", "grant rights (replacing the ones held)", partial(_set, kind)),
        ("delete", "take every right away", partial(_set, kind, delete=True)),
    ):
        parser = flags.leaf(group, name, text, handler)
        parser.add_argument(kind.id_flag, dest=kind.id_dest, help=f"the {kind.kind} id")
        if name == "list":
            parser.add_argument("--limit", type=int, default=0)
            parser.add_argument("--page", type=int, default=0)
            continue
        for member in members:
            parser.add_argument(f"--{member}-id", help=f"the collaborating {member}")
        if name == "set":
            flags.add_rights_flags(parser, kind.right_kinds or (kind.kind,))
