"""What every command handler receives: the parsed configuration, a client and the output."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lorastack.cli.client import Client
from lorastack.cli.config import CliConfig
from lorastack.cli.output import Output

__all__ = ["Handler", "Session"]


@dataclass(frozen=True, slots=True)
class Session:
    config: CliConfig
    client: Client
    out: Output


Handler = Callable[[argparse.Namespace, Session], Awaitable[None]]
