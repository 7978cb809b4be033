"""The NATS subject scheme of events, and name patterns turned into subject filters.

``<prefix>.<tenant>.<kind>.<owner id>.<sub id>.<event name tokens>``: an end device
is ``app.<application id>.<device id>``, every other entity ``<kind>.<id>._``, so an
application filter (``app.<id>.*.>``) also matches its devices' events from one copy.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .identifiers import EntityRef, validate_id

__all__ = [
    "NamePattern",
    "SubjectScheme",
    "compile_name_patterns",
]

_PREFIX_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class NamePattern:
    """An event name pattern: a glob (``ns.up.*``), or a regex between slashes (``/^ns\\./``).

    As in a shell glob, ``*`` here also crosses dots: ``ns.*`` matches ``ns.up.data.process``.
    """

    pattern: str

    @property
    def is_regex(self) -> bool:
        return len(self.pattern) >= 2 and self.pattern.startswith("/") and self.pattern.endswith("/")

    def matcher(self) -> Callable[[str], bool]:
        if self.is_regex:
            return re.compile(self.pattern[1:-1]).search  # type: ignore[return-value]
        return re.compile(fnmatch.translate(self.pattern)).match  # type: ignore[return-value]

    def subject_suffix(self) -> str:
        """The narrowest NATS filter that still matches every name the pattern matches.

        Literal leading tokens narrow the filter; from the first token with a wildcard on,
        ``>`` takes over and the exact pattern is checked on each received event.
        """
        if self.is_regex:
            return ">"
        literal: list[str] = []
        for token in self.pattern.split("."):
            if not token or _GLOB_CHARS.intersection(token):
                return ".".join([*literal, ">"])
            literal.append(token)
        return ".".join(literal)


def compile_name_patterns(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A predicate that accepts a name matching any pattern (any name when there are none)."""
    matchers = [NamePattern(pattern).matcher() for pattern in patterns]
    if not matchers:
        return lambda _name: True
    return lambda name: any(match(name) for match in matchers)


def _uncovered(refs: Iterable[EntityRef]) -> list[EntityRef]:
    """The distinct references, minus those another one in the list covers (filters)."""
    unique = list(dict.fromkeys(refs))
    return [ref for ref in unique if not any(other != ref and other.covers(ref) for other in unique)]


@dataclass(frozen=True, slots=True)
class SubjectScheme:
    """Builds and parses event subjects under one prefix (e.g. ``lorastack.events``)."""

    prefix: str

    def __post_init__(self) -> None:
        tokens = self.prefix.split(".")
        if not all(_PREFIX_TOKEN.match(token) for token in tokens):
            raise ValueError(f"invalid subject prefix `{self.prefix}`")

    @property
    def stream_subject(self) -> str:
        """What the JetStream stream captures: every event of every tenant."""
        return f"{self.prefix}.>"

    def subject(self, tenant_id: str, ref: EntityRef, name: str) -> str:
        """Where an event about ``ref`` is published."""
        validate_id(tenant_id, "tenant id")
        return ".".join((self.prefix, tenant_id, *ref.subject_tokens(), name))

    def subjects(self, tenant_id: str, refs: Iterable[EntityRef], name: str) -> list[str]:
        """One subject per reference, leaving out an application whose device is listed too.

        A subscriber still sees an event published under several subjects only once,
        because it deduplicates by unique ID; fewer copies just save stream space.
        """
        unique = list(dict.fromkeys(refs))
        # The device subject already matches its application's filter.
        kept = [ref for ref in unique if not any(other != ref and ref.covers(other) for other in unique)]
        return [self.subject(tenant_id, ref, name) for ref in kept]

    def filter(self, tenant_id: str, ref: EntityRef | None, name_suffix: str = ">") -> str:
        """The NATS filter for events about ``ref`` (or all of the tenant's when None)."""
        validate_id(tenant_id, "tenant id")
        if ref is None:
            if name_suffix == ">":
                return f"{self.prefix}.{tenant_id}.>"
            return f"{self.prefix}.{tenant_id}.*.*.*.{name_suffix}"
        kind, owner, sub = ref.subject_tokens()
        if sub == "_" and kind == "app":
            sub = "*"
        return ".".join((self.prefix, tenant_id, kind, owner, sub, name_suffix))

    def filters(self, tenant_id: str, refs: Iterable[EntityRef], patterns: Iterable[str]) -> list[str]:
        """The distinct filters for the product of references and name patterns."""
        suffixes = list(dict.fromkeys(NamePattern(pattern).subject_suffix() for pattern in patterns))
        if not suffixes or ">" in suffixes:
            suffixes = [">"]
        ref_list: list[EntityRef | None] = [*_uncovered(refs)] or [None]
        return list(dict.fromkeys(self.filter(tenant_id, ref, suffix) for ref in ref_list for suffix in suffixes))

    def parse(self, subject: str) -> tuple[str, EntityRef, str]:
        """Tenant, entity and event name of a subject built by :meth:`subject`."""
        head = self.prefix + "."
        if not subject.startswith(head):
            raise ValueError(f"subject `{subject}` is not under `{self.prefix}`")
        parts = subject[len(head) :].split(".")
        if len(parts) < 6:
            raise ValueError(f"subject `{subject}` is too short for an event")
        tenant_id, kind, owner, sub, *name = parts
        return tenant_id, EntityRef.from_subject_tokens(kind, owner, sub), ".".join(name)
