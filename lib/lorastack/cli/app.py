"""The ``lorastack`` command: argument parsing, dispatch to a command group, and the exit status
(0 done, 1 the server refused, 2 bad usage or configuration, 130 interrupted)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import grpc

from lorastack.cli import (
    applications,
    end_devices,
    events,
    gateways,
    login,
    organizations,
    simulate,
    users,
)
from lorastack.cli.client import Client
from lorastack.cli.config import CONFIG_ENV, CliConfig, load_config
from lorastack.cli.context import Handler, Session
from lorastack.cli.errors import CliError, describe_rpc_error
from lorastack.cli.output import FORMATS, Output

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lorastack",
        description="Manage a Lorastack (The Things Stack v3 API) cluster over gRPC.",
        epilog=f"The API key and addresses come from `lorastack login` (file: ${CONFIG_ENV} or "
        "~/.config/lorastack/config.json).",
    )
    parser.add_argument("--output", "-o", choices=FORMATS, default="json", help="json (default) or table")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call (default 30)")
    parser.set_defaults(handler=None, group_parser=parser)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (login, users, organizations, applications, gateways, end_devices, events, simulate):
        module.register(sub)
    return parser


async def _run(handler: Handler, args: argparse.Namespace, config: CliConfig) -> None:
    async with Client(config, timeout=args.timeout) as client:
        await handler(args, Session(config=config, client=client, out=Output(sys.stdout, args.output)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = args.handler
    if handler is None:
        args.group_parser.print_help(sys.stderr)
        return 2
    try:
        config = load_config()
        asyncio.run(_run(handler, args, config))
    except grpc.aio.AioRpcError as err:
        print(describe_rpc_error(err), file=sys.stderr)
        return 1
    except (CliError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
