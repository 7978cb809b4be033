"""``NetworkCryptoService`` and ``ApplicationCryptoService`` (cluster-only): session key derivation and
root keys for peers that do their own join crypto. Keys leave wrapped under the device's peer KEK label.
"""

from __future__ import annotations

from typing import Any

from joinserver import errors
from joinserver.crypto import JoinContext, SessionKeySet, derive_session_keys
from joinserver.keyvault import KeyVault
from joinserver.store import DeviceRegistry
from lorastack.lorawan.join import DLSettings
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, joinserver_pb2, joinserver_pb2_grpc, keys_pb2, lorawan_pb2

__all__ = ["ApplicationCryptoServicer", "NetworkCryptoServicer"]


class _Keys:
    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self.devices = devices
        self.vault = vault

    async def device(self, ids: identifiers_pb2.EndDeviceIdentifiers) -> end_device_pb2.EndDevice:
        device = await self.devices.get(ids.application_ids.application_id, ids.device_id)
        if device is None:
            raise errors.device_not_found(device=f"{ids.application_ids.application_id}/{ids.device_id}")
        return device

    def root_key(self, device: end_device_pb2.EndDevice, name: str) -> bytes:
        key = self.vault.open(getattr(device.root_keys, name))
        if not key:
            label = f"{device.ids.application_ids.application_id}/{device.ids.device_id}"
            raise (errors.no_nwk_key if name == "nwk_key" else errors.no_app_key)(device=label)
        return key

    async def derive(
        self, req: joinserver_pb2.DeriveSessionKeysRequest
    ) -> tuple[end_device_pb2.EndDevice, SessionKeySet]:
        if len(req.join_nonce) != 3 or len(req.dev_nonce) != 2:
            raise errors.invalid_field(field="join_nonce and dev_nonce", reason="want 3 and 2 bytes")
        device = await self.device(req.ids)
        lorawan_1_1 = req.lorawan_version == lorawan_pb2.MAC_V1_1
        if not lorawan_1_1 and len(req.net_id) != 3:
            raise errors.invalid_field(field="net_id", reason="want 3 bytes")
        ctx = JoinContext(
            lorawan_1_1=lorawan_1_1,
            app_key=self.root_key(device, "app_key"),
            nwk_key=self.root_key(device, "nwk_key") if lorawan_1_1 else b"",
            join_eui=device.ids.join_eui,
            dev_eui=device.ids.dev_eui,
            dev_nonce=int.from_bytes(req.dev_nonce, "big"),
            join_nonce=int.from_bytes(req.join_nonce, "big"),
            net_id=req.net_id or bytes(3),
            dev_addr=bytes(4),
            dl_settings=DLSettings(),
            rx_delay=0,
            cflist=None,
        )
        return device, derive_session_keys(ctx)


class NetworkCryptoServicer(joinserver_pb2_grpc.NetworkCryptoServiceServicer):
    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self._keys = _Keys(devices, vault)

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

    # Payload crypto for NS-side joins is not offered yet; the interceptor answers UNIMPLEMENTED.
    async def JoinRequestMIC(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        raise NotImplementedError

    async def JoinAcceptMIC(
        self, request: joinserver_pb2.JoinAcceptMICRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        raise NotImplementedError

    async def EncryptJoinAccept(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        raise NotImplementedError

    async def EncryptRejoinAccept(
        self, request: joinserver_pb2.CryptoServicePayloadRequest, context: Any
    ) -> joinserver_pb2.CryptoServicePayloadResponse:
        raise NotImplementedError


class ApplicationCryptoServicer(joinserver_pb2_grpc.ApplicationCryptoServiceServicer):
    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self._keys = _Keys(devices, vault)

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
