"""Session keys: KeyEnvelopes opened with the configured KEKs (RFC 3394 key wrap), AppSKeys wrapped with the
AS's own KEK before they are stored, and the AppSKey from the Join Server (AsJs.GetAppSKey)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import grpc

from applicationserver import errors
from applicationserver.tenancy import Tenancy
from lorastack.lorawan.errors import LoRaWANError
from lorastack.lorawan.keywrap import unwrap_key, wrap_key
from ttn.lorawan.v3 import joinserver_pb2, joinserver_pb2_grpc, keys_pb2

__all__ = ["JoinServerKeys", "KeyVault"]


class KeyVault:
    """Opens KeyEnvelopes: a plain ``key`` as is, an ``encrypted_key`` with the KEK of its label; seals keys
    for storage with the KEK labelled ``storage_label`` (plain when there is none)."""

    def __init__(self, keks: Mapping[str, bytes], *, storage_label: str = "") -> None:
        self._keks = dict(keks)
        if storage_label and storage_label not in self._keks:
            raise ValueError(f"no KEK labelled {storage_label!r} to wrap stored keys with")
        self._storage_label = storage_label

    def __repr__(self) -> str:
        return f"KeyVault(labels={sorted(self._keks)}, storage_label={self._storage_label!r})"

    def seal(self, key: bytes) -> keys_pb2.KeyEnvelope:
        """The envelope a key is stored in."""
        if not self._storage_label:
            return keys_pb2.KeyEnvelope(key=key)
        wrapped = wrap_key(self._keks[self._storage_label], key)
        return keys_pb2.KeyEnvelope(kek_label=self._storage_label, encrypted_key=wrapped)

    def open_envelope(self, envelope: keys_pb2.KeyEnvelope) -> keys_pb2.KeyEnvelope:
        return keys_pb2.KeyEnvelope(key=self.open(envelope))

    def for_storage(self, envelope: keys_pb2.KeyEnvelope) -> keys_pb2.KeyEnvelope:
        """A key the AS can open, sealed with its own KEK; one wrapped for someone else stays as it came."""
        return self.seal(self.open(envelope)) if self.can_open(envelope) else envelope

    def can_open(self, envelope: keys_pb2.KeyEnvelope) -> bool:
        return bool(envelope.key) or (bool(envelope.encrypted_key) and envelope.kek_label in self._keks)

    def open(self, envelope: keys_pb2.KeyEnvelope) -> bytes:
        if envelope.key:
            return bytes(envelope.key)
        if not envelope.encrypted_key:
            raise errors.unknown_kek(label="")
        kek = self._keks.get(envelope.kek_label)
        if kek is None:
            raise errors.unknown_kek(label=envelope.kek_label)
        try:
            return unwrap_key(kek, bytes(envelope.encrypted_key))
        except LoRaWANError as err:
            raise errors.unknown_kek(label=envelope.kek_label, cause=err) from None


class JoinServerKeys:
    """AsJs.GetAppSKey with the cluster key."""

    def __init__(
        self,
        channel: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], tuple[tuple[str, str], ...]],
        *,
        tenancy: Tenancy,
        timeout: float = 5.0,
    ) -> None:
        self._tenancy = tenancy
        self._channel = channel
        self._metadata = metadata
        self._timeout = timeout

    async def app_s_key(
        self, app_key: str, session_key_id: bytes, dev_eui: bytes, join_eui: bytes
    ) -> keys_pb2.KeyEnvelope:
        channel = self._channel()
        if channel is None:
            raise errors.no_join_server()
        stub = joinserver_pb2_grpc.AsJsStub(channel)
        request = joinserver_pb2.SessionKeyRequest(session_key_id=session_key_id, dev_eui=dev_eui, join_eui=join_eui)
        try:
            metadata = (*self._metadata(), *self._tenancy.metadata(app_key))
            answer = await stub.GetAppSKey(request, metadata=metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise errors.app_s_key_unavailable(reason=err.details() or err.code().name, cause=err) from None
        envelope: keys_pb2.KeyEnvelope = answer.app_s_key
        return envelope
