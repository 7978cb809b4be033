"""Provisioning against in-process stand-ins of the four registries: the seed 001 order, the field masks
and keys each registry receives, the API key on every call, and repeated runs tolerated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion
from lorastack.sim.fleet import device_profiles
from lorastack.sim.provision import Endpoints, Provisioner
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    applicationserver_pb2_grpc,
    end_device_pb2,
    end_device_services_pb2_grpc,
    gateway_pb2,
    gateway_services_pb2_grpc,
    joinserver_pb2_grpc,
    networkserver_pb2_grpc,
)

KEY = "NNSXS.SIM.SECRET"


@dataclass
class Registries:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)
    applications: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)

    def record(self, name: str, request: Any, context: Any) -> None:
        self.authorizations.add(dict(context.invocation_metadata()).get("authorization", ""))
        self.calls.append((name, request))


class _Apps(application_services_pb2_grpc.ApplicationRegistryServicer):
    def __init__(self, r: Registries) -> None:
        self.r = r

    async def Get(self, request: Any, context: Any) -> application_pb2.Application:
        self.r.record("ApplicationRegistry.Get", request, context)
        if request.application_ids.application_id not in self.r.applications:
            await context.abort(grpc.StatusCode.NOT_FOUND, "not found")
        return application_pb2.Application(ids=request.application_ids)

    async def Create(self, request: Any, context: Any) -> application_pb2.Application:
        self.r.record("ApplicationRegistry.Create", request, context)
        self.r.applications.add(request.application.ids.application_id)
        return request.application  # type: ignore[no-any-return]


class _Gateways(gateway_services_pb2_grpc.GatewayRegistryServicer):
    def __init__(self, r: Registries) -> None:
        self.r = r

    async def Create(self, request: Any, context: Any) -> gateway_pb2.Gateway:
        self.r.record("GatewayRegistry.Create", request, context)
        return request.gateway  # type: ignore[no-any-return]


class _Devices(end_device_services_pb2_grpc.EndDeviceRegistryServicer):
    def __init__(self, r: Registries) -> None:
        self.r = r

    async def Create(self, request: Any, context: Any) -> end_device_pb2.EndDevice:
        self.r.record("EndDeviceRegistry.Create", request, context)
        if request.end_device.ids.device_id in self.r.devices:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, "exists")
        self.r.devices.add(request.end_device.ids.device_id)
        return request.end_device  # type: ignore[no-any-return]


def _setter(name: str, base: type) -> type:
    async def Set(self: Any, request: Any, context: Any) -> end_device_pb2.EndDevice:
        self.r.record(f"{name}.Set", request, context)
        return request.end_device  # type: ignore[no-any-return]

    def init(self: Any, r: Registries) -> None:
        self.r = r

    return type(name, (base,), {"Set": Set, "__init__": init})


@pytest.fixture
async def registries() -> AsyncIterator[tuple[Registries, Endpoints]]:
    r = Registries()
    server = grpc.aio.server()
    application_services_pb2_grpc.add_ApplicationRegistryServicer_to_server(_Apps(r), server)
    gateway_services_pb2_grpc.add_GatewayRegistryServicer_to_server(_Gateways(r), server)
    end_device_services_pb2_grpc.add_EndDeviceRegistryServicer_to_server(_Devices(r), server)
    js = _setter("JsEndDeviceRegistry", joinserver_pb2_grpc.JsEndDeviceRegistryServicer)(r)
    ns = _setter("NsEndDeviceRegistry", networkserver_pb2_grpc.NsEndDeviceRegistryServicer)(r)
    as_ = _setter("AsEndDeviceRegistry", applicationserver_pb2_grpc.AsEndDeviceRegistryServicer)(r)
    joinserver_pb2_grpc.add_JsEndDeviceRegistryServicer_to_server(js, server)
    networkserver_pb2_grpc.add_NsEndDeviceRegistryServicer_to_server(ns, server)
    applicationserver_pb2_grpc.add_AsEndDeviceRegistryServicer_to_server(as_, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    address = f"127.0.0.1:{port}"
    yield r, Endpoints(address, address, address, address)
    await server.stop(None)


def _profiles(activation: Activation, version: LoRaWANVersion) -> list[Any]:
    return device_profiles(
        "p",
        1,
        seed=1,
        activation=activation,
        version=version,
        device_class=DeviceClass.C,
        frequency_plan_id="EU_863_870",
    )


async def test_otaa_1_1_device_goes_through_is_js_ns_as_in_order(registries: tuple[Registries, Endpoints]) -> None:
    r, endpoints = registries
    provisioner = Provisioner(endpoints, KEY, "app-1", owner="alice")
    [profile] = _profiles(Activation.OTAA, LoRaWANVersion.V1_1)
    try:
        await provisioner.ensure_application()
        await provisioner.ensure_application()
        await provisioner.register_gateway("gw-1", b"\x01" * 8, "EU_863_870")
        await provisioner.register_devices([profile])
        await provisioner.register_devices([profile])
    finally:
        await provisioner.close()
    names = [name for name, _ in r.calls]
    assert names[:4] == [
        "ApplicationRegistry.Get",
        "ApplicationRegistry.Create",
        "ApplicationRegistry.Get",
        "GatewayRegistry.Create",
    ]
    device_calls = ["EndDeviceRegistry.Create", "JsEndDeviceRegistry.Set", "NsEndDeviceRegistry.Set"]
    assert names[4:] == [*device_calls, "AsEndDeviceRegistry.Set"] * 2
    assert r.authorizations == {f"Bearer {KEY}"}
    create = r.calls[1][1]
    assert create.collaborator.user_ids.user_id == "alice"
    js = r.calls[5][1]
    assert js.end_device.root_keys.app_key.key == profile.app_key.value
    assert js.end_device.root_keys.nwk_key.key == profile.nwk_key.value
    assert "root_keys.nwk_key.key" in js.field_mask.paths
    ns = r.calls[6][1].end_device
    assert ns.supports_join and ns.supports_class_c and ns.frequency_plan_id == "EU_863_870"
    assert (
        end_device_pb2.EndDevice.DESCRIPTOR.fields_by_name["lorawan_version"]
        .enum_type.values_by_number[ns.lorawan_version]
        .name
        == "MAC_V1_1"
    )


async def test_abp_device_skips_the_join_server_and_carries_its_session(
    registries: tuple[Registries, Endpoints],
) -> None:
    r, endpoints = registries
    provisioner = Provisioner(endpoints, KEY, "app-1")
    [profile] = _profiles(Activation.ABP, LoRaWANVersion.V1_0_3)
    try:
        await provisioner.register_device(profile)
    finally:
        await provisioner.close()
    names = [name for name, _ in r.calls]
    assert names == ["EndDeviceRegistry.Create", "NsEndDeviceRegistry.Set", "AsEndDeviceRegistry.Set"]
    ns, as_ = r.calls[1][1], r.calls[2][1]
    assert not ns.end_device.supports_join
    assert ns.end_device.session.dev_addr == profile.abp.dev_addr.value
    assert ns.end_device.session.keys.f_nwk_s_int_key.key == profile.abp.f_nwk_s_int_key.value
    assert "session.keys.s_nwk_s_int_key" not in ns.field_mask.paths
    assert as_.end_device.session.keys.app_s_key.key == profile.abp.app_s_key.value
    assert r.calls[0][1].end_device.ids.dev_addr == profile.abp.dev_addr.value
