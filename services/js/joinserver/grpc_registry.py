"""The ``ttn.lorawan.v3.JsEndDeviceRegistry`` service: rights first, then the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import empty_pb2

from joinserver.provision import Provisioning
from joinserver.registry import EndDevices, touches_root_keys
from lorastack.rights import RightsClient
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, joinserver_pb2, joinserver_pb2_grpc, rights_pb2

__all__ = ["JsEndDeviceRegistryServicer"]

_READ = rights_pb2.RIGHT_APPLICATION_DEVICES_READ
_WRITE = rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE
_READ_KEYS = rights_pb2.RIGHT_APPLICATION_DEVICES_READ_KEYS
_WRITE_KEYS = rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE_KEYS


class JsEndDeviceRegistryServicer(joinserver_pb2_grpc.JsEndDeviceRegistryServicer):
    def __init__(self, devices: EndDevices, provisioning: Provisioning, rights: RightsClient) -> None:
        self._devices = devices
        self._provisioning = provisioning
        self._rights = rights

    async def Get(self, request: end_device_pb2.GetEndDeviceRequest, context: Any) -> end_device_pb2.EndDevice:
        paths = list(request.field_mask.paths)
        app_id = request.end_device_ids.application_ids.application_id
        needed = (_READ, _READ_KEYS) if touches_root_keys(paths) else (_READ,)
        await self._rights.require("application", app_id, *needed)
        return await self._devices.get(request.end_device_ids, paths, with_keys=_READ_KEYS in needed)

    async def Set(self, request: end_device_pb2.SetEndDeviceRequest, context: Any) -> end_device_pb2.EndDevice:
        paths = list(request.field_mask.paths)
        app_id = request.end_device.ids.application_ids.application_id
        needed = (_WRITE, _WRITE_KEYS) if touches_root_keys(paths) else (_WRITE,)
        held = await self._rights.require("application", app_id, *needed)
        return await self._devices.set(request.end_device, paths, with_keys=_READ_KEYS in held)

    async def Delete(self, request: identifiers_pb2.EndDeviceIdentifiers, context: Any) -> empty_pb2.Empty:
        await self._rights.require("application", request.application_ids.application_id, _WRITE)
        await self._devices.delete(request)
        return empty_pb2.Empty()

    async def Provision(
        self, request: joinserver_pb2.ProvisionEndDevicesRequest, context: Any
    ) -> AsyncIterator[end_device_pb2.EndDevice]:
        # Deprecated in The Things Stack, kept for its clients. Everything is stored before the first
        # device is sent, so a client that sees an error knows that nothing was created.
        await self._rights.require("application", request.application_ids.application_id, _WRITE_KEYS)
        for device in await self._provisioning.provision(request):
            yield device
