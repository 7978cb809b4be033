"""``lorastack events``: follow ``Events.Stream`` for some entities, optionally only some event names,
one event per line (compact JSON, or time/name/identifiers with ``--output table``)."""

from __future__ import annotations

import argparse
import json

from google.protobuf.message import Message

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError
from lorastack.httpapi import to_json
from ttn.lorawan.v3 import events_pb2, identifiers_pb2

__all__ = ["register", "stream_request"]


def stream_request(args: argparse.Namespace) -> events_pb2.StreamEventsRequest:
    request = events_pb2.StreamEventsRequest(tail=args.tail, names=args.name or [])
    for app_id in args.application_id or []:
        request.identifiers.add().application_ids.application_id = app_id
    for device in args.device_id or []:
        app_id, sep, dev_id = device.partition("/")
        if not sep or not app_id or not dev_id:
            raise CliError(f"--device-id {device!r}: write it as <application-id>/<device-id>")
        ids = request.identifiers.add().device_ids
        ids.application_ids.application_id, ids.device_id = app_id, dev_id
    for kind in ("gateway", "user", "organization"):
        for entity_id in getattr(args, f"{kind}_id") or []:
            entity = identifiers_pb2.EntityIdentifiers()
            setattr(getattr(entity, f"{kind}_ids"), f"{kind}_id", entity_id)
            request.identifiers.append(entity)
    if not request.identifiers:
        raise CliError("name at least one entity: --application-id, --device-id, --gateway-id, ...")
    return request


def _line(event: Message, fmt: str) -> str:
    value = to_json(event)
    if fmt == "json":
        return json.dumps(value, separators=(",", ":"))
    names = []
    for entity in value.get("identifiers", []):
        for kind, ids in entity.items():
            names.append(f"{kind.removesuffix('_ids')}:{'/'.join(str(v) for v in _leaves(ids))}")
    return f"{value.get('time', '-')}  {value.get('name', '?')}  {' '.join(names)}"


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    return [value]


async def _follow(args: argparse.Namespace, session: Session) -> None:
    seen = 0
    async for event in session.client.stream("Events/Stream", stream_request(args)):
        print(_line(event, getattr(args, "output", "json")), flush=True)
        seen += 1
        if args.max and seen >= args.max:
            return


def register(sub: flags.SubParsers) -> None:
    parser = flags.leaf(sub, "events", "follow the events of entities (Ctrl-C stops)", _follow, ["event"])
    for kind in ("application", "gateway", "user", "organization"):
        parser.add_argument(f"--{kind}-id", action="append", help=f"a {kind} to follow (repeatable)")
    parser.add_argument("--device-id", action="append", metavar="APP/DEVICE", help="a device (repeatable)")
    parser.add_argument("--name", action="append", help="an event name or /regex/ (repeatable), e.g. as.up.*")
    parser.add_argument("--tail", type=int, default=0, help="replay this many past events first")
    parser.add_argument("--max", type=int, default=0, help="stop after this many events (0: follow forever)")
