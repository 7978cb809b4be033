"""Session keys: unwrapping KeyEnvelopes with the configured KEKs, and the AppSKey from the Join Server."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import grpc

from applicationserver import errors
from lorastack.lorawan.errors import LoRaWANError
from lorastack.lorawan.keywrap import unwrap_key
from ttn.lorawan.v3 import joinserver_pb2, joinserver_pb2_grpc, keys_pb2

__all__ = ["JoinServerKeys", "KeyVault"]


class KeyVault:
    """Opens KeyEnvelopes: a plain ``key`` as is, an ``encrypted_key`` with the KEK of its label."""

    def __init__(self, keks: Mapping[str, bytes]) -> None:
        self._keks = dict(keks)

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
        timeout: float = 5.0,
    ) -> None:
        self._channel = channel
        self._metadata = metadata
        self._timeout = timeout

    async def app_s_key(self, session_key_id: bytes, dev_eui: bytes, join_eui: bytes) -> keys_pb2.KeyEnvelope:
        channel = self._channel()
        if channel is None:
            raise errors.no_join_server()
        stub = joinserver_pb2_grpc.AsJsStub(channel)
        request = joinserver_pb2.SessionKeyRequest(session_key_id=session_key_id, dev_eui=dev_eui, join_eui=join_eui)
        try:
            answer = await stub.GetAppSKey(request, metadata=self._metadata(), timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise errors.app_s_key_unavailable(reason=err.details() or err.code().name, cause=err) from None
        envelope: keys_pb2.KeyEnvelope = answer.app_s_key
        return envelope
