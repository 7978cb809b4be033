"""What the ``_ALL`` pseudo-rights of ``ttn.lorawan.v3.Right`` stand for.

``RIGHT_APPLICATION_ALL`` stands for every ``RIGHT_APPLICATION_*`` right, and so on
for users, gateways, organizations and clients; ``RIGHT_ALL`` for every right.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ttn.lorawan.v3 import rights_pb2

__all__ = ["ENTITY_KINDS", "expand", "implied_by"]

ENTITY_KINDS = ("application", "client", "gateway", "organization", "user")

_NAMES: dict[int, str] = {v.number: v.name for v in rights_pb2.Right.DESCRIPTOR.values}
_ALL = rights_pb2.RIGHT_ALL


@cache
def implied_by(right: int) -> frozenset[int]:
    """The rights that ``right`` grants, itself included."""
    name = _NAMES.get(right, "")
    if right == _ALL:
        return frozenset(n for n in _NAMES if n != 0)
    if name.endswith("_ALL"):
        prefix = name.removesuffix("ALL")
        return frozenset(n for n, other in _NAMES.items() if other.startswith(prefix))
    return frozenset({right})


def expand(rights: Iterable[int]) -> frozenset[int]:
    """Every right held, with the pseudo-rights expanded."""
    held: set[int] = set()
    for right in rights:
        held |= implied_by(right)
    return frozenset(held)
