"""``<entity> api-keys create|list|get|update|delete``: API keys of users, applications, gateways and
organizations (the *Access services). A key is deleted by taking all its rights away, as the API defines."""

from __future__ import annotations

import argparse
from functools import partial

from google.protobuf import timestamp_pb2

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.entity import EntityKind, ids_of
from lorastack.cli.errors import CliError

__all__ = ["add_api_keys"]


def _method(kind: EntityKind, name: str) -> str:
    return f"{kind.access}/{name}"


def _timestamp(text: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromJsonString(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an RFC 3339 time") from None
    return stamp


async def _create(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = _method(kind, "CreateAPIKey")
    request = session.client.request(method, name=args.name or "", rights=flags.rights_of(args))
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    if args.expires_at is not None:
        request.expires_at.CopyFrom(args.expires_at)
    if not request.rights:
        raise CliError("give at least one right, e.g. --right-" + kind.kind + "-all")
    key = await session.client.call(method, request)
    session.out.note("the key is shown only now; store it")
    session.out.message(key)


async def _list(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = _method(kind, "ListAPIKeys")
    request = session.client.request(method, limit=args.limit, page=args.page)
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    session.out.messages(list((await session.client.call(method, request)).api_keys))


async def _get(kind: EntityKind, args: argparse.Namespace, session: Session) -> None:
    method = _method(kind, "GetAPIKey")
    request = session.client.request(method, key_id=flags.require(args.api_key_id, "--api-key-id"))
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    session.out.message(await session.client.call(method, request))


async def _update(kind: EntityKind, args: argparse.Namespace, session: Session, delete: bool = False) -> None:
    method = _method(kind, "UpdateAPIKey")
    request = session.client.request(method)
    getattr(request, kind.ids_field).CopyFrom(ids_of(kind, args))
    request.api_key.id = flags.require(args.api_key_id, "--api-key-id")
    if delete:
        request.field_mask.paths.append("rights")
        await session.client.call(method, request)
        session.out.note(f"API key {args.api_key_id} deleted")
        return
    if args.name is not None:
        request.api_key.name = args.name
        request.field_mask.paths.append("name")
    rights = flags.rights_of(args)
    if rights:
        request.api_key.rights.extend(rights)
        request.field_mask.paths.append("rights")
    if args.expires_at is not None:
        request.api_key.expires_at.CopyFrom(args.expires_at)
        request.field_mask.paths.append("expires_at")
    if not request.field_mask.paths:
        raise CliError("nothing to update: give --name, --expires-at or --right-... flags")
    session.out.message(await session.client.call(method, request))


def _entity_flag(parser: argparse.ArgumentParser, kind: EntityKind) -> None:
    parser.add_argument(kind.id_flag, dest=kind.id_dest, help=f"the {kind.kind} id")


def add_api_keys(sub: flags.SubParsers, kind: EntityKind) -> None:
    keys = flags.group(sub, "api-keys", f"API keys of a {kind.kind}", ["api-key"])
    rights_kinds = kind.right_kinds or (kind.kind,)

    create = flags.leaf(keys, "create", "create an API key (its secret is shown once)", partial(_create, kind))
    _entity_flag(create, kind)
    create.add_argument("--name", help="a name to recognise the key by")
    create.add_argument("--expires-at", type=_timestamp, help="RFC 3339 time after which the key stops working")
    flags.add_rights_flags(create, rights_kinds)

    listing = flags.leaf(keys, "list", "list the API keys (without secrets)", partial(_list, kind), ["ls"])
    _entity_flag(listing, kind)
    listing.add_argument("--limit", type=int, default=0)
    listing.add_argument("--page", type=int, default=0)

    for name, text, handler in (
        ("get", "show an API key", partial(_get, kind)),
        ("update", "change an API key's name, rights or expiry", partial(_update, kind)),
        ("delete", "revoke an API key", partial(_update, kind, delete=True)),
    ):
        parser = flags.leaf(keys, name, text, handler)
        _entity_flag(parser, kind)
        parser.add_argument("--api-key-id", help="the key's id (the middle part of NNSXS.<ID>.<SECRET>)")
        if name == "update":
            parser.add_argument("--name")
            parser.add_argument("--expires-at", type=_timestamp)
            flags.add_rights_flags(parser, rights_kinds)
