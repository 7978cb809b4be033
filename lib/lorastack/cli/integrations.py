"""``applications webhooks|pubsubs list|get|set|delete``: the Application Server's
ApplicationWebhookRegistry and ApplicationPubSubRegistry."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial
from typing import Any

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError
from ttn.lorawan.v3 import identifiers_pb2

__all__ = ["PUBSUBS", "WEBHOOKS", "add_integrations"]

_MESSAGES = (
    "uplink_message",
    "join_accept",
    "downlink_ack",
    "downlink_nack",
    "downlink_sent",
    "downlink_failed",
    "downlink_queued",
    "location_solved",
    "service_data",
)


@dataclass(frozen=True, slots=True)
class Integration:
    name: str  # "webhook"
    registry: str
    id_field: str  # in the identifiers message
    message_field: str  # in the Set request
    list_field: str
    message_attribute: str  # what a per-message setting holds: "path" or "topic"
    messages: tuple[str, ...]
    read_paths: tuple[str, ...]

    @property
    def id_flag(self) -> str:
        return "--" + self.id_field.replace("_", "-")


WEBHOOKS = Integration(
    "webhook",
    "ApplicationWebhookRegistry",
    "webhook_id",
    "webhook",
    "webhooks",
    "path",
    _MESSAGES,
    ("base_url", "format", "headers", "downlink_api_key", *_MESSAGES),
)
PUBSUBS = Integration(
    "pubsub",
    "ApplicationPubSubRegistry",
    "pub_sub_id",
    "pubsub",
    "pubsubs",
    "topic",
    ("downlink_push", "downlink_replace", *_MESSAGES),
    ("format", "base_topic", "nats", "mqtt", "downlink_push", "downlink_replace", *_MESSAGES),
)


def _app_ids(args: argparse.Namespace) -> identifiers_pb2.ApplicationIdentifiers:
    return identifiers_pb2.ApplicationIdentifiers(application_id=flags.require(args.application_id, "--application-id"))


def _ids(spec: Integration, target: Any, args: argparse.Namespace) -> None:
    target.application_ids.CopyFrom(_app_ids(args))
    setattr(target, spec.id_field, flags.require(getattr(args, spec.id_field), spec.id_flag))


async def _list(spec: Integration, args: argparse.Namespace, session: Session) -> None:
    method = f"{spec.registry}/List"
    request = session.client.request(method, application_ids=_app_ids(args))
    request.field_mask.paths.extend(spec.read_paths)
    session.out.messages(list(getattr(await session.client.call(method, request), spec.list_field)))


async def _get(spec: Integration, args: argparse.Namespace, session: Session) -> None:
    method = f"{spec.registry}/Get"
    request = session.client.request(method)
    _ids(spec, request.ids, args)
    request.field_mask.paths.extend(spec.read_paths)
    session.out.message(await session.client.call(method, request))


def _apply(spec: Integration, target: Any, args: argparse.Namespace) -> list[str]:
    paths = []
    for name in ("base_url", "format", "base_topic", "downlink_api_key"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(target, name, value)
            paths.append(name)
    if getattr(args, "header", None):
        target.headers.update(dict(args.header))
        paths.append("headers")
    for kind in ("nats", "mqtt"):
        url = getattr(args, f"{kind}_server_url", None)
        if url is not None:
            getattr(target, kind).server_url = url
            paths.append(kind)
    for message in spec.messages:
        value = getattr(args, f"{message}_{spec.message_attribute}", None)
        if value is not None:
            setattr(getattr(target, message), spec.message_attribute, value)
            paths.append(message)
    return paths


async def _set(spec: Integration, args: argparse.Namespace, session: Session) -> None:
    method = f"{spec.registry}/Set"
    request = session.client.request(method)
    target = getattr(request, spec.message_field)
    _ids(spec, target.ids, args)
    paths = _apply(spec, target, args)
    if not paths:
        raise CliError(f"nothing to set: give at least one {spec.name} field flag")
    request.field_mask.paths.extend(paths)
    session.out.message(await session.client.call(method, request))


async def _delete(spec: Integration, args: argparse.Namespace, session: Session) -> None:
    ids = session.client.request(f"{spec.registry}/Delete")
    _ids(spec, ids, args)
    await session.client.call(f"{spec.registry}/Delete", ids)
    session.out.note(f"{spec.name} {getattr(args, spec.id_field)} deleted")


def _set_flags(spec: Integration, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", help="message format, e.g. json")
    if spec is WEBHOOKS:
        parser.add_argument("--base-url", help="URL each message path is appended to")
        parser.add_argument("--header", type=flags.key_value, action="append", metavar="KEY=VALUE")
        parser.add_argument("--downlink-api-key", help="key the receiver may use to push downlinks")
    else:
        parser.add_argument("--base-topic", help="topic each message topic is appended to")
        parser.add_argument("--nats-server-url", help="nats://user:pass@host:port")
        parser.add_argument("--mqtt-server-url", help="mqtt(s)://host:port")
    for message in spec.messages:
        flag = f"--{message}-{spec.message_attribute}".replace("_", "-")
        parser.add_argument(flag, help=f"{spec.message_attribute} of {message} messages")


def add_integrations(sub: flags.SubParsers) -> None:
    for spec, name, aliases in ((WEBHOOKS, "webhooks", ["webhook"]), (PUBSUBS, "pubsubs", ["pubsub"])):
        group = flags.group(sub, name, f"the Application Server's {spec.name}s of an application", aliases)
        for verb, text, handler in (
            ("list", f"list the application's {spec.name}s", partial(_list, spec)),
            ("get", f"show a {spec.name}", partial(_get, spec)),
            ("set", f"create or change a {spec.name}", partial(_set, spec)),
            ("delete", f"delete a {spec.name}", partial(_delete, spec)),
        ):
            parser = flags.leaf(group, verb, text, handler)
            parser.add_argument("--application-id", help="the application id")
            if verb != "list":
                parser.add_argument(spec.id_flag, dest=spec.id_field, help=f"the {spec.name} id")
            if verb == "set":
                _set_flags(spec, parser)
