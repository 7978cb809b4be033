"""Join Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, env_name, hex_key, host_port

__all__ = ["JoinPrefix", "JoinServerConfig", "parse_join_eui_prefixes", "parse_keks"]


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


def _kek(value: str) -> bytes:
    # RFC 3394 accepts AES-128, -192 and -256 KEKs.
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise ValueError("a KEK is hexadecimal") from None
    if len(key) not in (16, 24, 32):
        raise ValueError(f"a KEK has 16, 24 or 32 bytes, got {len(key)}")
    return key


def parse_keks(value: str) -> tuple[tuple[str, bytes], ...]:
    """``ns-kek=00..FF,as-kek=00..FF`` -> ((label, key), ...); labels are unique."""
    pairs: dict[str, bytes] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        label, sep, key_hex = item.partition("=")
        label = label.strip()
        if not sep or not label:
            raise ValueError("KEKs are written label=hex, separated by commas")
        if label in pairs:
            raise ValueError(f"KEK label {label!r} appears twice")
        pairs[label] = _kek(key_hex.strip())
    return tuple(pairs.items())


@dataclass(frozen=True, slots=True)
class JoinServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:5884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:5885", metadata={"parse": host_port})
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "js"
    js_join_eui_prefixes: tuple[JoinPrefix, ...] = field(
        default=(JoinPrefix(bytes(8), 0),), metadata={"parse": parse_join_eui_prefixes}
    )
    # Encrypts root keys and stored session keys at rest; without it they are stored in the clear.
    js_root_key_kek: bytes | None = field(default=None, metadata={"parse": hex_key, "secret": True})
    # KEKs by label, for devices whose network_server_kek_label / application_server_kek_label is set.
    js_keks: tuple[tuple[str, bytes], ...] = field(default=(), metadata={"parse": parse_keks, "secret": True})
    # How many used DevNonces of a LoRaWAN 1.0.x device are remembered.
    js_dev_nonce_history: int = 64
    # Session keys held for the NS and AS expire this long after they were issued or last fetched.
    js_session_key_ttl_seconds: float = 30 * 24 * 3600.0

    def validate(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.js_dev_nonce_history < 1:
            problems[env_name("js_dev_nonce_history")] = "must be at least 1"
        if self.js_session_key_ttl_seconds <= 0:
            problems[env_name("js_session_key_ttl_seconds")] = "must be positive"
        if not self.redis_prefix:
            problems[env_name("redis_prefix")] = "must not be empty"
        return problems

    def kek(self, label: str) -> bytes | None:
        """The KEK configured under ``label``."""
        for name, key in self.js_keks:
            if name == label:
                return key
        return None
