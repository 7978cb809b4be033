"""Parse and build a block of MAC commands (FOpts, or FRMPayload on FPort 0), LoRaWAN 1.1
section 5: commands are concatenated CID | payload; a CID the receiver does not know makes the
rest of the block uninterpretable, so parsing stops there."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import DecodeError
from . import channels, classb, link, session  # noqa: F401  (importing registers the commands)
from .base import MACCommand, command_for

__all__ = ["encode_mac_commands", "parse_mac_commands", "parse_mac_commands_lenient"]


def _parse(data: bytes, uplink: bool) -> tuple[list[MACCommand], int, DecodeError | None]:
    commands: list[MACCommand] = []
    pos = 0
    end = len(data)
    while pos < end:
        cid = data[pos]
        cls = command_for(cid, uplink=uplink)
        direction = "uplink" if uplink else "downlink"
        if cls is None:
            return commands, pos, DecodeError(f"unknown {direction} MAC command CID 0x{cid:02X}", offset=pos)
        stop = pos + 1 + cls.LENGTH
        if stop > end:
            error = DecodeError(f"{cls.__name__} needs {cls.LENGTH} payload bytes, {end - pos - 1} left", offset=pos)
            return commands, pos, error
        commands.append(cls.from_payload(data[pos + 1 : stop]))
        pos = stop
    return commands, pos, None


def parse_mac_commands(data: bytes, *, uplink: bool) -> list[MACCommand]:
    """Parse a whole block; raises DecodeError (with the byte offset) on an unknown CID or a
    truncated command. ``uplink`` is the direction of the frame carrying the block."""
    commands, _, error = _parse(data, uplink)
    if error is not None:
        raise error
    return commands


def parse_mac_commands_lenient(data: bytes, *, uplink: bool) -> tuple[list[MACCommand], bytes]:
    """Parse as far as possible: the commands before the first unknown CID or truncated command,
    and the unparsed rest (empty when the whole block was understood)."""
    commands, pos, _ = _parse(data, uplink)
    return commands, data[pos:]


def encode_mac_commands(commands: Iterable[MACCommand]) -> bytes:
    return b"".join(command.encode() for command in commands)
