"""Join Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, host_port

__all__ = ["JoinPrefix", "JoinServerConfig", "parse_join_eui_prefixes"]


@dataclass(frozen=True, slots=True)
class JoinPrefix:
    """A JoinEUI prefix: the first ``length`` bits of ``join_eui``."""

    join_eui: bytes
    length: int


def parse_join_eui_prefixes(value: str) -> tuple[JoinPrefix, ...]:
    """``70B3D57ED0000000/36,0000000000000000/0`` -> prefixes."""
    prefixes = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        eui_hex, _, length_text = item.partition("/")
        try:
            eui = bytes.fromhex(eui_hex)
        except ValueError:
            raise ValueError(f"{eui_hex!r} is not a hex EUI") from None
        length = int(length_text) if length_text else 64
        if len(eui) != 8 or not 0 <= length <= 64:
            raise ValueError(f"{item!r} is not EUI/length with 8 bytes and 0..64 bits")
        prefixes.append(JoinPrefix(eui, length))
    return tuple(prefixes)


@dataclass(frozen=True, slots=True)
class JoinServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:5884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:5885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "js"
    js_join_eui_prefixes: tuple[JoinPrefix, ...] = field(
        default=(JoinPrefix(bytes(8), 0),), metadata={"parse": parse_join_eui_prefixes}
    )
