"""Session keys handed out after a join: network keys to the NS, the AppSKey to the AS, by session key ID."""

from __future__ import annotations

from joinserver import errors
from joinserver.keyvault import KeyVault
from joinserver.store import SessionKeyStore
from ttn.lorawan.v3 import end_device_pb2, joinserver_pb2, keys_pb2

__all__ = ["SessionKeys"]


class SessionKeys:
    def __init__(self, store: SessionKeyStore, vault: KeyVault) -> None:
        self._store = store
        self._vault = vault

    async def _record(self, req: joinserver_pb2.SessionKeyRequest) -> end_device_pb2.EndDevice:
        if len(req.dev_eui) != 8:
            raise errors.invalid_field(field="dev_eui", reason="want 8 bytes")
        if not req.session_key_id:
            raise errors.invalid_field(field="session_key_id", reason="must not be empty")
        record = await self._store.get_session(req.dev_eui, req.session_key_id)
        # A JoinEUI given by the caller must match, so IDs cannot be probed across devices.
        if record is None or (req.join_eui and req.join_eui != record.ids.join_eui):
            raise errors.session_keys_not_found(session_key_id=req.session_key_id.hex().upper())
        return record

    def _rewrap(self, label: str, stored: keys_pb2.KeyEnvelope) -> keys_pb2.KeyEnvelope:
        key = self._vault.open(stored)
        if key is None:
            return keys_pb2.KeyEnvelope()
        return self._vault.wrap_for(label, key)

    async def network_keys(self, req: joinserver_pb2.SessionKeyRequest) -> joinserver_pb2.NwkSKeysResponse:
        record = await self._record(req)
        label = record.network_server_kek_label
        keys = record.session.keys
        return joinserver_pb2.NwkSKeysResponse(
            f_nwk_s_int_key=self._rewrap(label, keys.f_nwk_s_int_key),
            s_nwk_s_int_key=self._rewrap(label, keys.s_nwk_s_int_key),
            nwk_s_enc_key=self._rewrap(label, keys.nwk_s_enc_key),
        )

    async def app_key(self, req: joinserver_pb2.SessionKeyRequest) -> joinserver_pb2.AppSKeyResponse:
        record = await self._record(req)
        return joinserver_pb2.AppSKeyResponse(
            app_s_key=self._rewrap(record.application_server_kek_label, record.session.keys.app_s_key)
        )
