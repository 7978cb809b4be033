"""ttn.lorawan.v3.NsEndDeviceRegistry: parse, check rights, call the DeviceManager."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from lorastack import fieldmask
from lorastack.rights import RightsClient
from networkserver import errors
from networkserver.registry import GET_PATHS, SET_PATHS, DeviceManager, paths_with_keys
from networkserver.tenancy import application_key
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, networkserver_pb2_grpc, rights_pb2

Context = grpc.aio.ServicerContext[Any, Any]

__all__ = ["NsEndDeviceRegistryServicer"]


def _require_ids(ids: identifiers_pb2.EndDeviceIdentifiers) -> tuple[str, str]:
    if not ids.application_ids.application_id or not ids.device_id:
        raise errors.ERR_INVALID_FIELD(field="ids", reason="application and device id are required")
    return ids.application_ids.application_id, ids.device_id


class NsEndDeviceRegistryServicer(networkserver_pb2_grpc.NsEndDeviceRegistryServicer):
    def __init__(self, manager: DeviceManager, rights: RightsClient, *, default_tenant: str = "default") -> None:
        self._manager = manager
        self._rights = rights
        self._default_tenant = default_tenant

    async def Get(self, request: end_device_pb2.GetEndDeviceRequest, context: Context) -> end_device_pb2.EndDevice:
        app_id, dev_id = _require_ids(request.end_device_ids)
        paths = fieldmask.validate_paths(end_device_pb2.EndDevice.DESCRIPTOR, request.field_mask.paths, GET_PATHS)
        needed = [rights_pb2.RIGHT_APPLICATION_DEVICES_READ]
        if paths_with_keys(paths):
            needed.append(rights_pb2.RIGHT_APPLICATION_DEVICES_READ_KEYS)
        await self._rights.require("application", app_id, *needed)
        return await self._manager.get(application_key(app_id, self._default_tenant), dev_id, paths)

    async def Set(self, request: end_device_pb2.SetEndDeviceRequest, context: Context) -> end_device_pb2.EndDevice:
        app_id, _ = _require_ids(request.end_device.ids)
        paths = fieldmask.validate_paths(end_device_pb2.EndDevice.DESCRIPTOR, request.field_mask.paths, SET_PATHS)
        needed = [rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE]
        if paths_with_keys(paths):
            needed.append(rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE_KEYS)
        await self._rights.require("application", app_id, *needed)
        return await self._manager.set(application_key(app_id, self._default_tenant), request.end_device, paths)

    async def Delete(self, request: identifiers_pb2.EndDeviceIdentifiers, context: Context) -> empty_pb2.Empty:
        app_id, dev_id = _require_ids(request)
        await self._rights.require("application", app_id, rights_pb2.RIGHT_APPLICATION_DEVICES_WRITE)
        await self._manager.delete(application_key(app_id, self._default_tenant), dev_id)
        return empty_pb2.Empty()
