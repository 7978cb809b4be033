"""Crypto on behalf of peers that run their own join procedure (``NetworkCryptoService``,
``ApplicationCryptoService``): MICs, join-accept encryption and session keys under the device's
root keys, which never leave the Join Server. LoRaWAN 1.0.4 section 6.2, LoRaWAN 1.1 section 6.2.
"""

from __future__ import annotations

from joinserver import errors
from joinserver.crypto import JoinContext, SessionKeySet, derive_session_keys
from joinserver.keyvault import KeyVault
from joinserver.store import DeviceRegistry
from lorastack.lorawan.crypto import (
    derive_js_enc_key,
    derive_js_int_key,
    encrypt_join_accept,
    join_accept_mic_1_0,
    join_accept_mic_1_1,
    join_request_mic,
)
from lorastack.lorawan.errors import EncodeError
from lorastack.lorawan.eui import EUI64
from lorastack.lorawan.join import DLSettings
from lorastack.lorawan.keys import AES128Key
from lorastack.lorawan.nonces import DevNonce
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, joinserver_pb2, lorawan_pb2

__all__ = ["DeviceKeys", "is_lorawan_1_1"]

_VERSIONS_1_0 = frozenset(
    {
        lorawan_pb2.MAC_V1_0,
        lorawan_pb2.MAC_V1_0_1,
        lorawan_pb2.MAC_V1_0_2,
        lorawan_pb2.MAC_V1_0_3,
        lorawan_pb2.MAC_V1_0_4,
    }
)
_JOIN_REQUEST_LENGTH = 19  # MHDR | JoinEUI | DevEUI | DevNonce
_JOIN_REQ_TYPES = frozenset({0x00, 0x01, 0x02, 0xFF})


def _version_name(version: int) -> str:
    try:
        return lorawan_pb2.MACVersion.Name(lorawan_pb2.MACVersion.ValueType(version))
    except ValueError:
        return str(version)


def is_lorawan_1_1(version: int) -> bool:
    """True for 1.1, False for 1.0.x; any other version is refused."""
    if version == lorawan_pb2.MAC_V1_1:
        return True
    if version in _VERSIONS_1_0:
        return False
    raise errors.unsupported_lorawan_version(version=_version_name(version))


def _device_name(ids: identifiers_pb2.EndDeviceIdentifiers) -> str:
    if ids.device_id:
        return f"{ids.application_ids.application_id}/{ids.device_id}"
    return f"{ids.join_eui.hex().upper()}/{ids.dev_eui.hex().upper()}"


class DeviceKeys:
    """Root-key operations on one registry; every method looks the device up by its identifiers."""

    def __init__(self, devices: DeviceRegistry, vault: KeyVault) -> None:
        self.devices = devices
        self.vault = vault

    async def device(self, ids: identifiers_pb2.EndDeviceIdentifiers) -> end_device_pb2.EndDevice:
        """By application and device ID, or else by JoinEUI and DevEUI (peers often know only those)."""
        if ids.device_id:
            device = await self.devices.get(ids.application_ids.application_id, ids.device_id)
        elif len(ids.join_eui) == 8 and len(ids.dev_eui) == 8:
            device = await self.devices.get_by_eui(ids.join_eui, ids.dev_eui)
        else:
            raise errors.missing_identifiers(field="ids.device_id or ids.join_eui and ids.dev_eui")
        if device is None:
            raise errors.device_not_found(device=_device_name(ids))
        return device

    def root_key(self, device: end_device_pb2.EndDevice, name: str) -> bytes:
        key = self.vault.open(getattr(device.root_keys, name))
        if not key:
            raise (errors.no_nwk_key if name == "nwk_key" else errors.no_app_key)(device=_device_name(device.ids))
        return key

    def network_root_key(self, device: end_device_pb2.EndDevice, lorawan_1_1: bool) -> bytes:
        """The key of join MICs and join-accept encryption: NwkKey in 1.1, AppKey in 1.0.x."""
        return self.root_key(device, "nwk_key" if lorawan_1_1 else "app_key")

    async def derive(
        self, req: joinserver_pb2.DeriveSessionKeysRequest
    ) -> tuple[end_device_pb2.EndDevice, SessionKeySet]:
        if len(req.join_nonce) != 3 or len(req.dev_nonce) != 2:
            raise errors.invalid_field(field="join_nonce and dev_nonce", reason="want 3 and 2 bytes")
        lorawan_1_1 = is_lorawan_1_1(req.lorawan_version)
        device = await self.device(req.ids)
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

    async def join_request_mic(self, req: joinserver_pb2.CryptoServicePayloadRequest) -> bytes:
        lorawan_1_1 = is_lorawan_1_1(req.lorawan_version)
        if len(req.payload) != _JOIN_REQUEST_LENGTH:
            raise errors.invalid_field(
                field="payload", reason=f"a join-request without MIC has {_JOIN_REQUEST_LENGTH} bytes"
            )
        device = await self.device(req.ids)
        return join_request_mic(AES128Key(self.network_root_key(device, lorawan_1_1)), req.payload)

    async def join_accept_mic(self, req: joinserver_pb2.JoinAcceptMICRequest) -> bytes:
        inner = req.payload_request
        lorawan_1_1 = is_lorawan_1_1(inner.lorawan_version)
        if len(inner.payload) not in (13, 29):
            raise errors.invalid_field(field="payload", reason="a join-accept without MIC has 13 or 29 bytes")
        device = await self.device(inner.ids)
        key = AES128Key(self.network_root_key(device, lorawan_1_1))
        if not lorawan_1_1:
            return join_accept_mic_1_0(key, inner.payload)
        if req.join_request_type not in _JOIN_REQ_TYPES:
            raise errors.invalid_field(field="join_request_type", reason="unknown type")
        if len(req.dev_nonce) != 2:
            raise errors.invalid_field(field="dev_nonce", reason="want 2 bytes")
        js_int_key = derive_js_int_key(key, EUI64(device.ids.dev_eui))
        # For a rejoin, dev_nonce carries the RJcount of the rejoin-request.
        return join_accept_mic_1_1(
            js_int_key, req.join_request_type, EUI64(device.ids.join_eui), DevNonce(req.dev_nonce), inner.payload
        )

    async def encrypt_join_accept(self, req: joinserver_pb2.CryptoServicePayloadRequest, *, rejoin: bool) -> bytes:
        """``payload`` is the join-accept after the MHDR, MIC included; rejoin-accepts are 1.1 only."""
        lorawan_1_1 = is_lorawan_1_1(req.lorawan_version)
        if rejoin and not lorawan_1_1:
            raise errors.unsupported_lorawan_version(version=_version_name(req.lorawan_version))
        device = await self.device(req.ids)
        key = AES128Key(self.network_root_key(device, lorawan_1_1))
        if rejoin:
            key = derive_js_enc_key(key, EUI64(device.ids.dev_eui))
        try:
            return encrypt_join_accept(key, req.payload)
        except EncodeError as err:
            raise errors.invalid_field(field="payload", reason=str(err)) from None
