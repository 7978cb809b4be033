"""End-to-end harness: the five real processes (one cluster per test module), an application with its own
API key, simulated UDP gateways and end devices registered through the public API, and helpers that drive
the devices until something happens on the application side."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from cluster_support import cluster_names, running_cluster
from lorastack.devcluster import LocalCluster
from lorastack.lorawan.frequencyplans import FrequencyPlan, get_plan
from lorastack.sim.device import DeviceClass, EndDevice, GatewayLink, LoRaWANVersion
from lorastack.sim.device.profile import Activation
from lorastack.sim.fleet import device_profiles, gateway_identities
from lorastack.sim.provision import Endpoints, Provisioner
from lorastack.sim.udp import UdpGateway
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    applicationserver_pb2_grpc,
    end_device_pb2,
    identifiers_pb2,
    messages_pb2,
    rights_pb2,
)

__all__ = ["DECODER", "E2E", "join_all", "links_to", "start_e2e", "wait_idle", "wait_until"]

PLAN_ID = "EU_863_870"

# A payload formatter in The Things Stack's JavaScript form: two bytes of temperature in tenths of a degree.
DECODER = """
function decodeUplink(input) {
  var raw = (input.bytes[0] << 8) | input.bytes[1];
  return { data: { celsius: raw / 10, port: input.fPort }, warnings: [] };
}
function encodeDownlink(input) {
  return { bytes: [input.data.setpoint & 0xff], fPort: 3 };
}
"""


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


@dataclass
class E2E:
    """One running cluster and what the tests of a module registered on it."""

    cluster: LocalCluster
    admin_key: str
    plan: FrequencyPlan = field(default_factory=lambda: get_plan(PLAN_ID))
    gateways: list[UdpGateway] = field(default_factory=list)
    _app_keys: dict[str, str] = field(default_factory=dict)

    @property
    def endpoints(self) -> Endpoints:
        roles = self.cluster.roles
        return Endpoints(
            roles["is"].grpc_target, roles["js"].grpc_target, roles["ns"].grpc_target, roles["as"].grpc_target
        )

    @property
    def udp_address(self) -> tuple[str, int]:
        return _host_port(self.cluster.roles["gs"].env["LORASTACK_GS_UDP_ADDRESS"])

    @property
    def mqtt_port(self) -> int:
        return _host_port(self.cluster.roles["as"].env["LORASTACK_AS_MQTT_ADDRESS"])[1]

    def admin_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.admin_key}"),)

    def app_api_key(self, app_id: str) -> str:
        return self._app_keys[app_id]

    async def application(self, app_id: str) -> str:
        """Create the application and an API key with all its rights; returns the key."""
        provisioner = Provisioner(self.endpoints, self.admin_key, app_id)
        try:
            await provisioner.ensure_application()
        finally:
            await provisioner.close()
        async with grpc.aio.insecure_channel(self.endpoints.identity_server) as channel:
            created = await application_services_pb2_grpc.ApplicationAccessStub(channel).CreateAPIKey(
                application_pb2.CreateApplicationAPIKeyRequest(
                    application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
                    name="e2e",
                    rights=[rights_pb2.RIGHT_APPLICATION_ALL],
                ),
                metadata=self.admin_metadata(),
            )
        self._app_keys[app_id] = created.key
        return str(created.key)

    async def start_gateways(self, prefix: str, count: int) -> list[UdpGateway]:
        identities = gateway_identities(prefix, count)
        provisioner = Provisioner(self.endpoints, self.admin_key, "unused")
        try:
            for identity in identities:
                await provisioner.register_gateway(identity.gateway_id, identity.eui, PLAN_ID)
        finally:
            await provisioner.close()
        out = []
        for identity in identities:
            gateway = UdpGateway(identity, self.plan, self.udp_address, keepalive_interval=1.0)
            await gateway.start()
            self.gateways.append(gateway)
            await gateway.wait_connected()
            out.append(gateway)
        return out

    async def add_devices(
        self,
        app_id: str,
        prefix: str,
        count: int,
        links: Callable[[], Sequence[GatewayLink]],
        *,
        version: LoRaWANVersion = LoRaWANVersion.V1_0_3,
        device_class: DeviceClass = DeviceClass.A,
        data_rate: int | None = None,
        formatter: str | None = DECODER,
    ) -> list[EndDevice]:
        """Register OTAA devices in the order of seed 001 and give each the JavaScript formatter."""
        profiles = device_profiles(
            prefix,
            count,
            seed=1,
            activation=Activation.OTAA,
            version=version,
            device_class=device_class,
            frequency_plan_id=PLAN_ID,
            data_rate=data_rate,
            payload_size=2,
            dev_nonce_start=int(time.time()) % 50_000,
        )
        provisioner = Provisioner(self.endpoints, self.admin_key, app_id)
        try:
            await provisioner.register_devices(profiles)
        finally:
            await provisioner.close()
        if formatter is not None:
            for profile in profiles:
                await self.set_formatter(app_id, profile.device_id, formatter)
        rng = random.Random(7)
        return [EndDevice(p, links(), plan=self.plan, rng=random.Random(rng.random())) for p in profiles]

    async def set_formatter(self, app_id: str, dev_id: str, script: str) -> None:
        device = end_device_pb2.EndDevice(
            ids=identifiers_pb2.EndDeviceIdentifiers(
                device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id)
            )
        )
        device.formatters.up_formatter = messages_pb2.FORMATTER_JAVASCRIPT
        device.formatters.up_formatter_parameter = script
        device.formatters.down_formatter = messages_pb2.FORMATTER_JAVASCRIPT
        device.formatters.down_formatter_parameter = script
        async with grpc.aio.insecure_channel(self.endpoints.application_server) as channel:
            await applicationserver_pb2_grpc.AsEndDeviceRegistryStub(channel).Set(
                end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask={"paths": ["formatters"]}),
                metadata=self.admin_metadata(),
            )

    async def stop_gateways(self) -> None:
        for gateway in self.gateways:
            await gateway.stop()
        self.gateways.clear()


def links_to(gateways: Sequence[UdpGateway], rssi: float = -70.0, snr: float = 8.0) -> Callable[[], list[GatewayLink]]:
    return lambda: [GatewayLink(gw, rssi=rssi, snr=snr) for gw in gateways]


async def join_all(devices: Sequence[EndDevice], timeout: float = 40.0) -> None:
    """Send join-requests (a new one whenever the last one's windows have passed) until every device joined."""
    deadline = time.monotonic() + timeout
    while not all(d.joined for d in devices):
        if time.monotonic() > deadline:
            missing = [(d.profile.device_id, d.counters.as_dict()) for d in devices if not d.joined]
            raise TimeoutError(f"not joined: {missing}")
        for device in devices:
            if not device.joined and not device.busy:
                device.send_uplink()
        await asyncio.sleep(0.1)


async def wait_idle(device: EndDevice) -> None:
    """Until the device's receive windows of its last transmission have passed."""
    while device.busy:  # noqa: ASYNC110 - a sans-I/O device has no event to await, only its clock
        await asyncio.sleep(0.05)


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met in {timeout:.0f}s")
        await asyncio.sleep(0.05)


async def start_e2e(tmp: Path) -> AsyncIterator[E2E]:
    """The module-scoped cluster: started, bootstrapped, and torn down with its stores."""
    async for cluster in running_cluster(tmp, cluster_names()):
        printed = await cluster.bootstrap()
        key = next(line.rsplit(" ", 1)[1] for line in printed.splitlines() if "API key" in line)
        harness = E2E(cluster, key)
        try:
            yield harness
        finally:
            await harness.stop_gateways()
