"""Event definitions: the name, data type and required rights of one kind of event.

Names follow The Things Stack (``gs.up.receive``, ``is.end_device.create``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

__all__ = ["EventDefinition", "define"]

# Lowercase tokens joined by dots, at least two; underscores occur inside tokens
# (``is.end_device.create``) and are legal in NATS subjects.
_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")


@dataclass(frozen=True, slots=True)
class EventDefinition:
    """One kind of event, defined once per package."""

    name: str
    description: str
    data_type: type[Message] | None
    # Right enum values (ttn.lorawan.v3.Right); a subscriber needs any one of them.
    visibility: tuple[int, ...]

    @property
    def name_tokens(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


def define(
    name: str,
    *,
    description: str = "",
    data_type: type[Message] | None = None,
    visibility: Sequence[int] = (),
) -> EventDefinition:
    """Define an event; raise ``ValueError`` for a name that is not dotted lowercase."""
    if not _NAME.match(name):
        raise ValueError(f"invalid event name `{name}`")
    if any(not isinstance(right, int) or right < 0 for right in visibility):
        raise ValueError(f"event `{name}`: visibility takes Right enum values")
    return EventDefinition(
        name=name,
        description=description,
        data_type=data_type,
        visibility=tuple(visibility),
    )
