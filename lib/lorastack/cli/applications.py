"""``lorastack applications``: ApplicationRegistry, API keys, collaborators, webhooks and pub/subs, and the
AS's MQTT messages."""

from __future__ import annotations

import argparse
from typing import Any

from lorastack.cli import flags
from lorastack.cli.api_keys import add_api_keys
from lorastack.cli.collaborators import add_collaborators
from lorastack.cli.entity import EntityKind, add_crud
from lorastack.cli.integrations import add_integrations
from lorastack.cli.mqtt import add_mqtt

__all__ = ["KIND", "register"]

_ADDRESSES = ("network_server_address", "application_server_address", "join_server_address")


def _flags(parser: argparse.ArgumentParser) -> None:
    for name in _ADDRESSES:
        parser.add_argument("--" + name.replace("_", "-"), help="host:port; empty means the cluster's own")


def _apply(application: Any, args: argparse.Namespace) -> list[str]:
    paths = []
    for name in _ADDRESSES:
        value = getattr(args, name)
        if value is not None:
            setattr(application, name, value)
            paths.append(name)
    return paths


KIND = EntityKind(
    kind="application",
    registry="ApplicationRegistry",
    access="ApplicationAccess",
    id_field="application_id",
    read_paths=("name", "description", "attributes", *_ADDRESSES),
    add_flags=_flags,
    apply_flags=_apply,
)


def register(sub: flags.SubParsers) -> None:
    apps = flags.group(
        sub, "applications", "applications and everything attached to them", ["application", "apps", "app"]
    )
    add_crud(apps, KIND)
    add_api_keys(apps, KIND)
    add_collaborators(apps, KIND)
    add_integrations(apps)
    add_mqtt(apps)
