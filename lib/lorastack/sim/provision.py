"""Registers the simulator's application, gateways and devices through the public gRPC API, in the order
of The Things Stack's end device documentation (seed 001): IS EndDeviceRegistry.Create, then
JsEndDeviceRegistry.Set (OTAA only), NsEndDeviceRegistry.Set, AsEndDeviceRegistry.Set."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import field_mask_pb2

from lorastack.sim.device.profile import Activation, DeviceClass, DeviceProfile
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    applicationserver_pb2_grpc,
    end_device_pb2,
    end_device_services_pb2_grpc,
    gateway_pb2,
    gateway_services_pb2_grpc,
    identifiers_pb2,
    joinserver_pb2_grpc,
    keys_pb2,
    lorawan_pb2,
    networkserver_pb2_grpc,
)

__all__ = ["Endpoints", "Provisioner"]


@dataclass(frozen=True, slots=True)
class Endpoints:
    """gRPC addresses (host:port) of each role; the local cluster's defaults."""

    identity_server: str = "127.0.0.1:1884"
    join_server: str = "127.0.0.1:5884"
    network_server: str = "127.0.0.1:3884"
    application_server: str = "127.0.0.1:4884"


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


class Provisioner:
    def __init__(self, endpoints: Endpoints, api_key: str, application_id: str, *, owner: str = "admin") -> None:
        self.endpoints = endpoints
        self.application_id = application_id
        self.owner = owner
        self._metadata = (("authorization", f"Bearer {api_key}"),)
        self._channels = {
            role: grpc.aio.insecure_channel(address)
            for role, address in (
                ("is", endpoints.identity_server),
                ("js", endpoints.join_server),
                ("ns", endpoints.network_server),
                ("as", endpoints.application_server),
            )
        }

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close(None)

    @property
    def _collaborator(self) -> identifiers_pb2.OrganizationOrUserIdentifiers:
        return identifiers_pb2.OrganizationOrUserIdentifiers(
            user_ids=identifiers_pb2.UserIdentifiers(user_id=self.owner)
        )

    async def _create(self, call: Any, request: Any) -> None:
        """Create, treating an existing record as success so runs can repeat."""
        try:
            await call(request, metadata=self._metadata)
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise

    async def ensure_application(self) -> None:
        stub = application_services_pb2_grpc.ApplicationRegistryStub(self._channels["is"])
        ids = identifiers_pb2.ApplicationIdentifiers(application_id=self.application_id)
        try:
            await stub.Get(application_pb2.GetApplicationRequest(application_ids=ids), metadata=self._metadata)
            return
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
        request = application_pb2.CreateApplicationRequest(
            application=application_pb2.Application(ids=ids, name="lorastack-sim"), collaborator=self._collaborator
        )
        await self._create(stub.Create, request)

    async def register_gateway(self, gateway_id: str, eui: bytes, frequency_plan_id: str) -> None:
        stub = gateway_services_pb2_grpc.GatewayRegistryStub(self._channels["is"])
        gateway = gateway_pb2.Gateway(
            ids=identifiers_pb2.GatewayIdentifiers(gateway_id=gateway_id, eui=eui),
            name=gateway_id,
            frequency_plan_id=frequency_plan_id,
            frequency_plan_ids=[frequency_plan_id],
            enforce_duty_cycle=True,
            status_public=True,
        )
        await self._create(
            stub.Create, gateway_pb2.CreateGatewayRequest(gateway=gateway, collaborator=self._collaborator)
        )

    async def register_devices(self, profiles: Sequence[DeviceProfile], *, concurrency: int = 16) -> None:
        limit = asyncio.Semaphore(concurrency)

        async def one(profile: DeviceProfile) -> None:
            async with limit:
                await self.register_device(profile)

        await asyncio.gather(*(one(p) for p in profiles))

    def _ids(self, profile: DeviceProfile) -> identifiers_pb2.EndDeviceIdentifiers:
        ids = identifiers_pb2.EndDeviceIdentifiers(
            device_id=profile.device_id,
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=self.application_id),
            dev_eui=profile.dev_eui.value,
            join_eui=profile.join_eui.value,
        )
        if profile.abp is not None:
            ids.dev_addr = profile.abp.dev_addr.value
        return ids

    async def register_device(self, profile: DeviceProfile) -> None:
        ids = self._ids(profile)
        otaa = profile.activation is Activation.OTAA
        e = self.endpoints
        registry = end_device_services_pb2_grpc.EndDeviceRegistryStub(self._channels["is"])
        created = end_device_pb2.EndDevice(
            ids=ids,
            name=profile.device_id,
            network_server_address=e.network_server,
            application_server_address=e.application_server,
            join_server_address=e.join_server if otaa else "",
        )
        await self._create(registry.Create, end_device_pb2.CreateEndDeviceRequest(end_device=created))
        if otaa:
            await self._set_js(profile, ids)
        await self._set_ns(profile, ids)
        await self._set_as(profile, ids)

    async def _set_js(self, profile: DeviceProfile, ids: identifiers_pb2.EndDeviceIdentifiers) -> None:
        root = keys_pb2.RootKeys()
        paths = ["network_server_address", "application_server_address"]
        if profile.app_key is not None:
            root.app_key.key = profile.app_key.value
            paths.append("root_keys.app_key.key")
        if profile.version.is_1_1 and profile.nwk_key is not None:
            root.nwk_key.key = profile.nwk_key.value
            paths.append("root_keys.nwk_key.key")
        device = end_device_pb2.EndDevice(
            ids=ids,
            root_keys=root,
            network_server_address=self.endpoints.network_server,
            application_server_address=self.endpoints.application_server,
        )
        stub = joinserver_pb2_grpc.JsEndDeviceRegistryStub(self._channels["js"])
        request = end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=_mask(*paths))
        await stub.Set(request, metadata=self._metadata)

    async def _set_ns(self, profile: DeviceProfile, ids: identifiers_pb2.EndDeviceIdentifiers) -> None:
        device = end_device_pb2.EndDevice(
            ids=ids,
            frequency_plan_id=profile.frequency_plan_id,
            lorawan_version=lorawan_pb2.MACVersion.Value(profile.version.mac_version),
            lorawan_phy_version=lorawan_pb2.PHYVersion.Value(profile.version.phy_version),
            supports_join=profile.activation is Activation.OTAA,
            supports_class_c=profile.device_class is DeviceClass.C,
        )
        paths = [
            "frequency_plan_id",
            "lorawan_version",
            "lorawan_phy_version",
            "supports_join",
            "supports_class_c",
        ]
        abp = profile.abp
        if abp is not None:
            device.session.dev_addr = abp.dev_addr.value
            device.session.keys.f_nwk_s_int_key.key = abp.f_nwk_s_int_key.value
            paths += ["session.dev_addr", "session.keys.f_nwk_s_int_key"]
            if profile.version.is_1_1:
                device.session.keys.s_nwk_s_int_key.key = abp.s_nwk_s_int_key.value
                device.session.keys.nwk_s_enc_key.key = abp.nwk_s_enc_key.value
                paths += ["session.keys.s_nwk_s_int_key", "session.keys.nwk_s_enc_key"]
        stub = networkserver_pb2_grpc.NsEndDeviceRegistryStub(self._channels["ns"])
        request = end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=_mask(*paths))
        await stub.Set(request, metadata=self._metadata)

    async def _set_as(self, profile: DeviceProfile, ids: identifiers_pb2.EndDeviceIdentifiers) -> None:
        device = end_device_pb2.EndDevice(ids=ids)
        paths = ["ids"]
        if profile.abp is not None:
            device.session.dev_addr = profile.abp.dev_addr.value
            device.session.keys.app_s_key.key = profile.abp.app_s_key.value
            paths += ["session.dev_addr", "session.keys.app_s_key"]
        stub = applicationserver_pb2_grpc.AsEndDeviceRegistryStub(self._channels["as"])
        request = end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=_mask(*paths))
        await stub.Set(request, metadata=self._metadata)
