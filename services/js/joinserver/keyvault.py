"""Key-encryption keys: root and session keys sealed at rest, and keys wrapped for peers (RFC 3394).

Sealing uses the configured ``js_root_key_kek``; wrapping for the Network and Application Servers
uses the KEK configured under the device's ``*_kek_label`` (LoRaWAN Backend Interfaces 1.0 section 6.3).
"""

from __future__ import annotations

from collections.abc import Mapping

from joinserver import errors
from lorastack.lorawan.errors import DecodeError
from lorastack.lorawan.keywrap import unwrap_key, wrap_key
from ttn.lorawan.v3 import keys_pb2

__all__ = ["AT_REST_LABEL", "KeyVault"]

# Marks an envelope sealed with the at-rest KEK; never a label of a peer's KEK.
AT_REST_LABEL = "lorastack:js-at-rest"


class KeyVault:
    """Seals, opens and wraps AES-128 keys. Holds the KEKs; never logs or returns them."""

    def __init__(self, at_rest_kek: bytes | None, keks: Mapping[str, bytes]) -> None:
        self._at_rest = at_rest_kek
        self._keks = dict(keks)

    def __repr__(self) -> str:
        return f"KeyVault(sealed={self._at_rest is not None}, labels={sorted(self._keks)})"

    @property
    def seals(self) -> bool:
        return self._at_rest is not None

    def has_label(self, label: str) -> bool:
        return not label or label in self._keks

    def seal(self, key: bytes) -> keys_pb2.KeyEnvelope:
        """The envelope a key is stored in."""
        if self._at_rest is None:
            return keys_pb2.KeyEnvelope(key=key)
        return keys_pb2.KeyEnvelope(kek_label=AT_REST_LABEL, encrypted_key=wrap_key(self._at_rest, key))

    def open(self, envelope: keys_pb2.KeyEnvelope) -> bytes | None:
        """The plain key of a stored or received envelope; None when the envelope is empty."""
        if envelope.key:
            return envelope.key
        if not envelope.encrypted_key:
            return None
        if envelope.kek_label == AT_REST_LABEL:
            kek = self._at_rest
        else:
            kek = self._keks.get(envelope.kek_label)
            if kek is None:
                raise errors.unknown_kek_label(label=envelope.kek_label)
        if kek is None:
            raise errors.corrupted_key()
        try:
            return unwrap_key(kek, envelope.encrypted_key)
        except DecodeError as err:
            raise errors.corrupted_key(cause=err) from None

    def wrap_for(self, label: str, key: bytes) -> keys_pb2.KeyEnvelope:
        """The envelope a peer receives: wrapped under its KEK when it has a label, plain otherwise."""
        if not label:
            return keys_pb2.KeyEnvelope(key=key)
        kek = self._keks.get(label)
        if kek is None:
            raise errors.unknown_kek_label(label=label)
        return keys_pb2.KeyEnvelope(kek_label=label, encrypted_key=wrap_key(kek, key))
