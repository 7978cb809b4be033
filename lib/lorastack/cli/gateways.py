"""``lorastack gateways``: GatewayRegistry, API keys, collaborators, and the Gateway Server's
connection statistics (``Gs.GetGatewayConnectionStats``)."""

from __future__ import annotations

import argparse
from typing import Any

from lorastack.cli import flags
from lorastack.cli.api_keys import add_api_keys
from lorastack.cli.collaborators import add_collaborators
from lorastack.cli.context import Session
from lorastack.cli.entity import EntityKind, add_crud, ids_of

__all__ = ["KIND", "register"]


def _flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gateway-eui", type=flags.hex_bytes(8), help="the gateway's EUI (hex)")
    parser.add_argument("--frequency-plan-id", help="e.g. EU_863_870")
    parser.add_argument("--gateway-server-address", help="host:port of the Gateway Server")
    parser.add_argument("--status-public", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--location-public", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--enforce-duty-cycle", action=argparse.BooleanOptionalAction, default=None)


def _apply(gateway: Any, args: argparse.Namespace) -> list[str]:
    paths = []
    if args.gateway_eui is not None:
        # Identifiers are fixed at creation, so the EUI never joins an update's field mask.
        gateway.ids.eui = args.gateway_eui
    if args.frequency_plan_id is not None:
        # TTS keeps the single plan and the list side by side; clients read either.
        gateway.frequency_plan_id = args.frequency_plan_id
        gateway.frequency_plan_ids.append(args.frequency_plan_id)
        paths += ["frequency_plan_id", "frequency_plan_ids"]
    for name in ("gateway_server_address", "status_public", "location_public", "enforce_duty_cycle"):
        value = getattr(args, name)
        if value is not None:
            setattr(gateway, name, value)
            paths.append(name)
    return paths


KIND = EntityKind(
    kind="gateway",
    registry="GatewayRegistry",
    access="GatewayAccess",
    id_field="gateway_id",
    read_paths=(
        "name",
        "description",
        "attributes",
        "frequency_plan_id",
        "frequency_plan_ids",
        "gateway_server_address",
        "status_public",
        "location_public",
        "enforce_duty_cycle",
    ),
    add_flags=_flags,
    apply_flags=_apply,
)


async def _connection_stats(args: argparse.Namespace, session: Session) -> None:
    session.out.message(await session.client.call("Gs/GetGatewayConnectionStats", ids_of(KIND, args)))


def register(sub: flags.SubParsers) -> None:
    gateways = flags.group(
        sub, "gateways", "gateways, their API keys, collaborators and connection", ["gateway", "gtws", "gtw"]
    )
    add_crud(gateways, KIND)
    add_api_keys(gateways, KIND)
    add_collaborators(gateways, KIND)
    stats = flags.leaf(gateways, "connection-stats", "the Gateway Server's statistics of a gateway", _connection_stats)
    stats.add_argument("--gateway-id", dest="gateway_id", help="the gateway id")
