"""``lorastack login``: store the API key and the cluster's gRPC addresses (0600) and check them once
against the Identity Server (``EntityAccess.AuthInfo``)."""

from __future__ import annotations

import argparse

import grpc

from lorastack.cli import flags
from lorastack.cli.client import Client
from lorastack.cli.config import DEFAULT_ADDRESSES, ROLES, CliConfig, save_config
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError

__all__ = ["addresses_from", "register"]


def addresses_from(args: argparse.Namespace, current: CliConfig) -> dict[str, str]:
    """``--cluster HOST:PORT`` puts every role on that host with the local port layout moved by the
    IS port (1884 -> PORT); ``--is`` and friends override single roles."""
    addresses = dict(current.addresses)
    if args.cluster:
        host, _, port_text = args.cluster.rpartition(":")
        if not host or not port_text.isdigit():
            raise CliError(f"--cluster {args.cluster!r}: want HOST:PORT")
        shift = int(port_text) - int(DEFAULT_ADDRESSES["is"].rpartition(":")[2])
        for role in ROLES:
            default_port = int(DEFAULT_ADDRESSES[role].rpartition(":")[2])
            addresses[role] = f"{host}:{default_port + shift}"
    for role in ROLES:
        given = getattr(args, f"{role}_address")
        if given:
            addresses[role] = given
    return addresses


async def _login(args: argparse.Namespace, session: Session) -> None:
    api_key = args.api_key or session.config.api_key
    if not api_key:
        raise CliError("--api-key is required (e.g. the one `python -m identityserver bootstrap` printed)")
    config = CliConfig(api_key=api_key, addresses=addresses_from(args, session.config))
    if not args.no_check:
        async with Client(config) as client:
            try:
                info = await client.call("EntityAccess/AuthInfo", client.request("EntityAccess/AuthInfo"))
            except grpc.aio.AioRpcError:
                session.out.note("the Identity Server refused the key; nothing was stored")
                raise
        session.out.note(f"logged in with API key {info.api_key.api_key.id or '?'}")
    path = save_config(config)
    session.out.note(f"configuration stored in {path}")


def register(sub: flags.SubParsers) -> None:
    parser = flags.leaf(sub, "login", "store an API key and the cluster's addresses", _login)
    parser.add_argument("--api-key", help="an API key, NNSXS.<ID>.<SECRET>")
    parser.add_argument("--cluster", help="HOST:PORT of the IS; the other roles follow the local port layout")
    for role in ROLES:
        parser.add_argument(
            f"--{role}", dest=f"{role}_address", metavar="HOST:PORT", help=f"gRPC address of the {role.upper()}"
        )
    parser.add_argument("--no-check", action="store_true", help="store without asking the Identity Server")
