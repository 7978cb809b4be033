"""Where the CLI keeps its API key and the cluster's addresses: one JSON file readable by its owner only."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CONFIG_ENV", "DEFAULT_ADDRESSES", "ROLES", "CliConfig", "config_path", "load_config", "save_config"]

CONFIG_ENV = "LORASTACK_CLI_CONFIG"
ROLES = ("is", "gs", "ns", "as", "js")
# The gRPC ports of the local cluster (design.md section 6).
DEFAULT_ADDRESSES: Mapping[str, str] = {
    "is": "127.0.0.1:1884",
    "gs": "127.0.0.1:2884",
    "ns": "127.0.0.1:3884",
    "as": "127.0.0.1:4884",
    "js": "127.0.0.1:5884",
}


@dataclass(frozen=True, slots=True)
class CliConfig:
    api_key: str = ""
    addresses: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ADDRESSES))

    def address(self, role: str) -> str:
        return self.addresses.get(role) or DEFAULT_ADDRESSES[role]

    def to_json(self) -> dict[str, object]:
        return {"api_key": self.api_key, "addresses": {r: self.address(r) for r in ROLES}}


def config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lorastack" / "config.json"


def load_config(path: Path | None = None) -> CliConfig:
    """The stored configuration, or the defaults (no key, local ports) when nothing is stored yet."""
    path = path or config_path()
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return CliConfig()
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot read {path}: {err}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"cannot read {path}: not a JSON object")
    addresses = raw.get("addresses") or {}
    if not isinstance(addresses, dict):
        raise ValueError(f"cannot read {path}: `addresses` is not an object")
    merged = {r: str(addresses.get(r) or DEFAULT_ADDRESSES[r]) for r in ROLES}
    return CliConfig(api_key=str(raw.get("api_key") or ""), addresses=merged)


def save_config(config: CliConfig, path: Path | None = None) -> Path:
    """Write the file so that no other user can ever read the key, not even for an instant."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        json.dump(config.to_json(), out, indent=2)
        out.write("\n")
    os.replace(tmp, path)
    return path
