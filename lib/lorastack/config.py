"""Configuration: one frozen dataclass per service, read from the environment.

Every field of a config dataclass is read from ``LORASTACK_<FIELD NAME>``. All
bad variables are collected and reported together in one :class:`ConfigError`,
so an operator fixes the whole environment in one go.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "ENV_PREFIX",
    "ROLES",
    "ConfigError",
    "ServiceConfig",
    "env_name",
    "hex_key",
    "host_port",
    "load",
]

ENV_PREFIX = "LORASTACK_"
ROLES = ("is", "gs", "ns", "as", "js")

C = TypeVar("C", bound="ServiceConfig")


class ConfigError(Exception):
    """The environment holds invalid values; ``problems`` maps variable to reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        lines = "\n".join(f"  {name}: {reason}" for name, reason in sorted(self.problems.items()))
        super().__init__(f"invalid configuration:\n{lines}")


def host_port(value: str) -> str:
    """Validate ``host:port`` (host may be empty or ``[v6]``); returns it unchanged."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not host:port")
    if host.startswith("[") != host.endswith("]"):
        raise ValueError(f"{value!r} has an unbalanced IPv6 bracket")
    return value


def hex_key(value: str) -> bytes:
    """An AES-128 key written as 32 hex digits."""
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise ValueError("not hexadecimal") from None
    if len(key) != 16:
        raise ValueError(f"a key has 16 bytes, got {len(key)}")
    return key


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false)")


def _parser_for(annotation: Any) -> Callable[[str], Any]:
    origin = typing.get_origin(annotation)
    if annotation is str:
        return str
    if annotation is int:
        return int
    if annotation is float:
        return float
    if annotation is bool:
        return _parse_bool
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(annotation)
        parse_item = _parser_for(item)
        return lambda value: tuple(parse_item(v) for v in _split(value))
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        parse_inner = _parser_for(inner[0])
        return lambda value: parse_inner(value) if value.strip() else None
    raise TypeError(f"no parser for configuration type {annotation!r}")


def env_name(field_name: str) -> str:
    """The environment variable that sets a config field."""
    return ENV_PREFIX + field_name.upper()


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What every process needs. Services extend it with their own fields.

    A field may carry ``metadata={"parse": fn}`` to parse its text; otherwise the
    parser follows the type (str, int, float, bool, tuple[...], optional).
    """

    grpc_address: str = field(default="0.0.0.0:1884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:1885", metadata={"parse": host_port})
    log_format: str = "console"
    log_level: str = "info"
    cluster_keys: tuple[bytes, ...] = field(
        default=(), metadata={"parse": lambda v: tuple(hex_key(k) for k in _split(v)), "secret": True}
    )
    peers_is: str | None = field(default=None, metadata={"parse": host_port})
    peers_gs: str | None = field(default=None, metadata={"parse": host_port})
    peers_ns: str | None = field(default=None, metadata={"parse": host_port})
    peers_as: str | None = field(default=None, metadata={"parse": host_port})
    peers_js: str | None = field(default=None, metadata={"parse": host_port})
    nats_url: str = "nats://127.0.0.1:4222"
    events_stream: str = "LORASTACK_EVENTS"
    events_subject_prefix: str = "lorastack.events"
    default_tenant: str = "default"
    rights_cache_seconds: float = 10.0
    shutdown_grace_seconds: float = 10.0

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        if self.log_format not in ("console", "json"):
            problems[env_name("log_format")] = "must be console or json"
        if self.log_level.lower() not in ("debug", "info", "warning", "error"):
            problems[env_name("log_level")] = "must be debug, info, warning or error"
        problems.update(self.validate())
        if problems:
            raise ConfigError(problems)

    def validate(self) -> dict[str, str]:
        """Cross-field checks of a subclass; variable name -> reason."""
        return {}

    def peer(self, role: str) -> str | None:
        """The gRPC address of the peer with ``role`` (is, gs, ns, as, js)."""
        value: str | None = getattr(self, f"peers_{role}")
        return value

    def redacted(self) -> dict[str, Any]:
        """The configuration for logging, with secrets left out."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = "<redacted>" if f.metadata.get("secret") and value else value
        return out


def load(cls: type[C], environ: Mapping[str, str] | None = None, **overrides: Any) -> C:
    """Build ``cls`` from the environment; raise :class:`ConfigError` naming every bad variable."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        if f.name in overrides:
            values[f.name] = overrides[f.name]
            continue
        name = env_name(f.name)
        raw = env.get(name)
        if raw is None or not raw.strip():
            continue  # unset and empty both mean the default
        parse = f.metadata.get("parse") or _parser_for(hints[f.name])
        try:
            values[f.name] = parse(raw.strip())
        except (ValueError, TypeError) as err:
            problems[name] = str(err) or "invalid value"
    try:
        # Built even when some values failed to parse (those keep their defaults),
        # so that cross-field problems are reported in the same error.
        config = cls(**values)
    except ConfigError as err:
        problems = {**err.problems, **problems}
    if problems:
        raise ConfigError(problems)
    return config
