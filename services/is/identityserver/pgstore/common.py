"""Shared SQL helpers: ordering, pagination and timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from identityserver import errors

__all__ = ["MAX_LIMIT", "Page", "order_clause", "page_clause", "timestamp"]

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """``limit`` 0 means the server maximum; ``page`` counts from 1 (0 is the first page too)."""

    limit: int = 0
    page: int = 0
    order: str = ""


def order_clause(order: str, columns: Mapping[str, str], default: str) -> str:
    """``ORDER BY`` text for a TTS order string (``name``, ``-created_at``); columns maps allowed names."""
    if not order:
        return f"ORDER BY {default}"
    descending = order.startswith("-")
    column = columns.get(order.removeprefix("-"))
    if column is None:
        raise errors.invalid_order(order=order[:40])
    return f"ORDER BY {column} {'DESC' if descending else 'ASC'}, {default}"


def page_clause(page: Page) -> tuple[str, tuple[int, int]]:
    limit = MAX_LIMIT if page.limit == 0 else min(page.limit, MAX_LIMIT)
    offset = max(page.page - 1, 0) * limit
    return "LIMIT %s OFFSET %s", (limit, offset)


def timestamp(value: datetime | None) -> Timestamp:
    out = Timestamp()
    if value is not None:
        out.FromDatetime(value)
    return out
