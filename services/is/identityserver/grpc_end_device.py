"""``EndDeviceRegistry`` servicer of the Identity Server."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver import validation
from identityserver.auth import Authorizer
from identityserver.devices import Devices
from identityserver.grpc_common import Context, caller_of, page_of, send_total
from ttn.lorawan.v3 import end_device_pb2, end_device_services_pb2_grpc, identifiers_pb2

__all__ = ["EndDeviceRegistryServicer"]


def _ids(ids: identifiers_pb2.EndDeviceIdentifiers) -> tuple[str, str]:
    return (
        validation.check_id(ids.application_ids.application_id, "application_id"),
        validation.check_id(ids.device_id, "device_id"),
    )


class EndDeviceRegistryServicer(end_device_services_pb2_grpc.EndDeviceRegistryServicer):
    def __init__(self, devices: Devices, auth: Authorizer) -> None:
        self._devices = devices
        self._auth = auth

    async def Create(
        self, request: end_device_pb2.CreateEndDeviceRequest, context: Context
    ) -> end_device_pb2.EndDevice:
        _ids(request.end_device.ids)
        caller = await caller_of(self._auth, context)
        return await self._devices.create(caller, request.end_device)

    async def Get(self, request: end_device_pb2.GetEndDeviceRequest, context: Context) -> end_device_pb2.EndDevice:
        app_id, device_id = _ids(request.end_device_ids)
        caller = await caller_of(self._auth, context)
        return await self._devices.get(caller, app_id, device_id, list(request.field_mask.paths))

    async def List(self, request: end_device_pb2.ListEndDevicesRequest, context: Context) -> end_device_pb2.EndDevices:
        app_id = validation.check_id(request.application_ids.application_id, "application_id")
        caller = await caller_of(self._auth, context)
        found, total = await self._devices.listing(caller, app_id, list(request.field_mask.paths), page_of(request))
        await send_total(context, total)
        return end_device_pb2.EndDevices(end_devices=found)

    async def Update(
        self, request: end_device_pb2.UpdateEndDeviceRequest, context: Context
    ) -> end_device_pb2.EndDevice:
        _ids(request.end_device.ids)
        caller = await caller_of(self._auth, context)
        return await self._devices.update(caller, request.end_device, list(request.field_mask.paths))

    async def Delete(self, request: identifiers_pb2.EndDeviceIdentifiers, context: Context) -> Empty:
        app_id, device_id = _ids(request)
        caller = await caller_of(self._auth, context)
        await self._devices.delete(caller, app_id, device_id)
        return Empty()
