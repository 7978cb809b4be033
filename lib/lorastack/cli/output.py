"""Printing results: JSON exactly as the REST API writes it (the default), or an aligned text table."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from google.protobuf.message import Message

from lorastack.httpapi import to_json

__all__ = ["FORMATS", "Output", "flatten"]

FORMATS = ("json", "table")
_MAX_CELL = 60


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON objects to dotted keys; lists stay whole (a table cell shows them compactly)."""
    if not isinstance(value, Mapping):
        return {prefix or "value": value}
    out: dict[str, Any] = {}
    for key, inner in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, Mapping) and inner:
            out.update(flatten(inner, name))
        else:
            out[name] = inner
    return out


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)
    cells = [[_cell(row[c]) if c in row else "" for c in columns] for row in rows]
    heads = [c.upper() for c in columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells)
    return lines


class Output:
    def __init__(self, stream: TextIO, fmt: str = "json", notes: TextIO | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        self._stream = stream
        self._notes = notes if notes is not None else sys.stderr
        self._format = fmt

    def message(self, message: Message) -> None:
        """One message: a JSON object, or a FIELD/VALUE table."""
        value = to_json(message)
        if self._format == "json":
            self._write_json(value)
            return
        pairs = [{"field": k, "value": v} for k, v in flatten(value).items()]
        self._write_lines(_table(pairs) if pairs else ["(empty)"])

    def messages(self, messages: Sequence[Message]) -> None:
        """A list: a JSON array, or one table row per message."""
        values = [to_json(m) for m in messages]
        if self._format == "json":
            self._write_json(values)
            return
        self._write_lines(_table([flatten(v) for v in values]) if values else ["(none)"])

    def value(self, value: Mapping[str, Any]) -> None:
        """A plain JSON object (not a message): itself, or a FIELD/VALUE table of its dotted keys."""
        if self._format == "json":
            self._write_json(value)
            return
        pairs = [{"field": k, "value": v} for k, v in flatten(value).items()]
        self._write_lines(_table(pairs) if pairs else ["(empty)"])

    def note(self, text: str) -> None:
        """A message to the operator, on stderr so that stdout stays machine-readable."""
        self._notes.write(text + "\n")
        self._notes.flush()

    def _write_json(self, value: Any) -> None:
        self._stream.write(json.dumps(value, indent=2) + "\n")
        self._stream.flush()

    def _write_lines(self, lines: Sequence[str]) -> None:
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()
