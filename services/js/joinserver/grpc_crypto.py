"""``NetworkCryptoService`` and ``ApplicationCryptoService`` (cluster-only): join MICs, join-accept
encryption, session key derivation and root keys for peers that do their own join crypto. Keys leave
wrapped under the device's peer KEK label.
"""

from __future__ import annotations

from typing import Any

from joinserver.cryptoservice import DeviceKeys
from joinserver.keyvault import KeyVault
from joinserver.store import DeviceRegistry
from ttn.lorawan.v3 import joinserver_pb2, joinserver_pb2_grpc, keys_pb2

__all__ = ["ApplicationCryptoServicer", "NetworkCryptoServicer"]


class NetworkCryptoServicer(joinserver_pb2_grpc.NetworkCryptoServiceServicer):
    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self._keys = DeviceKeys(devices, vault)

    async def DeriveNwkSKeys(
        self, request: joinserver_pb2.DeriveSessionKeysRequest, context: Any
    ) -> joinserver_pb2.NwkSKeysResponse:
        device, keys = await self._keys.derive(request)
        label = device.network_server_kek_label
        wrap = self._keys.vault.wrap_for
        return joinserver_pb2.NwkSKeysResponse(
            f_nwk_s_int_key=wrap(label, keys.f_nwk_s_int_key),
            s_nwk_s_int_key=wrap(label, keys.s_nwk_s_int_key),
            nwk_s_enc_key=wrap(label, keys.nwk_s_enc_key),
        )

    async def GetNwkKey(self, request: joinserver_pb2.GetRootKeysRequest, context: Any) -> keys_pb2.KeyEnvelope:
        device = await self._keys.device(request.ids)
        return self._keys.vault.wrap_for(device.network_server_kek_label, self._keys.root_key(device, "nwk_key"))

    async def JoinRequestMIC(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        return joinserver_pb2.CryptoServicePayloadResponse(payload=await self._keys.join_request_mic(request))

    async def JoinAcceptMIC(
        self, request: joinserver_pb2.JoinAcceptMICRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        return joinserver_pb2.CryptoServicePayloadResponse(payload=await self._keys.join_accept_mic(request))

    async def EncryptJoinAccept(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        encrypted = await self._keys.encrypt_join_accept(request, rejoin=False)
        return joinserver_pb2.CryptoServicePayloadResponse(payload=encrypted)

    async def EncryptRejoinAccept(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        encrypted = await self._keys.encrypt_join_accept(request, rejoin=True)
        return joinserver_pb2.CryptoServicePayloadResponse(payload=encrypted)


class ApplicationCryptoServicer(joinserver_pb2_grpc.ApplicationCryptoServiceServicer):
    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self._keys = DeviceKeys(devices, vault)

    async def DeriveAppSKey(
        self, request: joinserver_pb2.DeriveSessionKeysRequest, context: Any
    ) -> joinserver_pb2.AppSKeyResponse:
        device, keys = await self._keys.derive(request)
        return joinserver_pb2.AppSKeyResponse(
            app_s_key=self._keys.vault.wrap_for(device.application_server_kek_label, keys.app_s_key)
        )

    async def GetAppKey(self, request: joinserver_pb2.GetRootKeysRequest, context: Any) -> keys_pb2.KeyEnvelope:
        device = await self._keys.device(request.ids)
        return self._keys.vault.wrap_for(device.application_server_kek_label, self._keys.root_key(device, "app_key"))
