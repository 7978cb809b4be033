"""Flags shared by every command group, spelled as ttn-lw-cli spells them (``--application-id``,
``--dev-eui``, ``--right-application-all``, ``--attributes k=v``), and their conversion to messages."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from lorastack.cli.context import Handler
from lorastack.cli.errors import CliError
from lorastack.cli.output import FORMATS
from ttn.lorawan.v3 import rights_pb2

__all__ = [
    "add_common_fields",
    "add_rights_flags",
    "attributes_of",
    "common_paths",
    "group",
    "hex_bytes",
    "key_value",
    "leaf",
    "require",
    "rights_of",
    "set_common",
]

_RIGHT_DEST = "right__"
SubParsers = Any  # argparse's _SubParsersAction is private; its type is not worth importing


def hex_bytes(length: int) -> Callable[[str], bytes]:
    """An argparse type: ``length`` bytes written as hex, separators ``:`` and ``-`` allowed."""

    def parse(text: str) -> bytes:
        cleaned = text.replace(":", "").replace("-", "").strip()
        try:
            value = bytes.fromhex(cleaned)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None
        if len(value) != length:
            raise argparse.ArgumentTypeError(f"{text!r} is {len(value)} bytes, want {length}")
        return value

    parse.__name__ = f"{length}-byte hex"
    return parse


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return key, value


def leaf(sub: SubParsers, name: str, text: str, handler: Handler, aliases: Sequence[str] = ()) -> Any:
    """A command that runs ``handler``; ``--output`` may also follow it."""
    parser = sub.add_parser(name, help=text, description=text, aliases=list(aliases))
    # SUPPRESS keeps a top-level --output from being overwritten by this parser's default.
    parser.add_argument("--output", "-o", choices=FORMATS, default=argparse.SUPPRESS, help="json (default) or table")
    parser.set_defaults(handler=handler, group_parser=None)
    return parser


def group(sub: SubParsers, name: str, text: str, aliases: Sequence[str] = ()) -> SubParsers:
    """A command that only holds sub-commands; alone it prints its help."""
    parser = sub.add_parser(name, help=text, description=text, aliases=list(aliases))
    parser.set_defaults(handler=None, group_parser=parser)
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def add_common_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="display name")
    parser.add_argument("--description", help="free text")
    parser.add_argument(
        "--attributes", type=key_value, action="append", metavar="KEY=VALUE", help="an attribute (repeatable)"
    )


def common_paths(args: argparse.Namespace) -> list[str]:
    """The field mask paths of the common fields given on the command line."""
    return [name for name in ("name", "description", "attributes") if getattr(args, name, None) is not None]


def set_common(message: Any, args: argparse.Namespace) -> None:
    if args.name is not None:
        message.name = args.name
    if args.description is not None:
        message.description = args.description
    message.attributes.update(attributes_of(args))


def attributes_of(args: argparse.Namespace) -> dict[str, str]:
    return dict(args.attributes or ())


def _right_names(prefixes: Iterable[str]) -> list[str]:
    wanted = tuple(f"RIGHT_{p.upper()}_" for p in prefixes)
    names = [v.name for v in rights_pb2.Right.DESCRIPTOR.values]
    return [n for n in names if n.startswith(wanted) or n == "RIGHT_ALL"]


def add_rights_flags(parser: argparse.ArgumentParser, prefixes: Iterable[str]) -> None:
    """One ``--right-...`` switch per right of the entity kinds in ``prefixes`` (plus ``--right-all``)."""
    rights = parser.add_argument_group("rights")
    for name in _right_names(prefixes):
        flag = "--" + name.lower().replace("_", "-")
        rights.add_argument(flag, dest=_RIGHT_DEST + name, action="store_true", help=f"grant {name}")


def rights_of(args: argparse.Namespace) -> list[int]:
    chosen = [k[len(_RIGHT_DEST) :] for k, v in vars(args).items() if k.startswith(_RIGHT_DEST) and v]
    return sorted(rights_pb2.Right.Value(name) for name in chosen)


def require(value: Any, flag: str) -> Any:
    if value is None or value == "":
        raise CliError(f"{flag} is required")
    return value
