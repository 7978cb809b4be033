"""One simulator run: provision, connect the gateways, let every device join and send at its rate for
the duration, wait out the last receive windows, and sum up what devices and gateways counted."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from lorastack.lorawan.frequencyplans import FrequencyPlan, get_plan
from lorastack.sim.basicstation import BasicStationGateway
from lorastack.sim.device.counters import DeviceCounters
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion
from lorastack.sim.fleet import device_profiles, gateway_identities
from lorastack.sim.gateway import GatewayCounters, GatewayIdentity, VirtualGateway
from lorastack.sim.provision import Endpoints, Provisioner
from lorastack.sim.udp import UdpGateway

__all__ = ["RunResult", "SimSettings", "run"]


@dataclass(frozen=True, slots=True)
class SimSettings:
    gateways: int = 1
    protocol: str = "udp"
    devices: int = 1
    activation: Activation = Activation.OTAA
    version: LoRaWANVersion = LoRaWANVersion.V1_0_3
    device_class: DeviceClass = DeviceClass.A
    frequency_plan_id: str = "EU_863_870"
    rate: float = 0.1
    rate_is_total: bool = False
    duration: float = 60.0
    confirmed_share: float = 0.0
    gs_udp: str = "127.0.0.1:1700"
    gs_lns: str = "ws://127.0.0.1:1887"
    api_key: str = ""
    application_id: str = "lorastack-sim"
    owner: str = "admin"
    provision: bool = True
    endpoints: Endpoints = field(default_factory=Endpoints)
    prefix: str = "sim"
    seed: int = 0
    data_rate: int | None = None
    payload_size: int = 8
    payload: bytes | None = None  # every uplink's FRMPayload; None: random bytes of payload_size
    dev_nonce_start: int | None = None

    @property
    def per_device_rate(self) -> float:
        return self.rate / max(self.devices, 1) if self.rate_is_total else self.rate


@dataclass(slots=True)
class RunResult:
    settings: SimSettings
    elapsed: float
    devices: DeviceCounters
    gateways: GatewayCounters
    joined: int

    def as_dict(self) -> dict[str, Any]:
        settings = {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(self.settings).items()}
        settings.pop("api_key", None)
        if self.settings.payload is not None:
            settings["payload"] = self.settings.payload.hex().upper()
        sent = self.devices.uplinks
        return {
            "settings": settings,
            "elapsed_seconds": round(self.elapsed, 3),
            "devices_joined": self.joined,
            "uplinks_per_second": round(sent / self.elapsed, 2) if self.elapsed else 0.0,
            "devices": self.devices.as_dict(),
            "gateways": self.gateways.as_dict(),
        }


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def build_gateway(settings: SimSettings, identity: GatewayIdentity, plan: FrequencyPlan) -> VirtualGateway:
    if settings.protocol == "udp":
        return UdpGateway(identity, plan, _host_port(settings.gs_udp))
    if settings.protocol == "basicstation":
        return BasicStationGateway(identity, plan, settings.gs_lns, api_key=settings.api_key or None)
    raise ValueError(f"unknown gateway protocol {settings.protocol!r}")


async def _device_loop(device: EndDevice, settings: SimSettings, rng: random.Random, stop: asyncio.Event) -> None:
    interval = 1.0 / settings.per_device_rate if settings.per_device_rate > 0 else settings.duration
    # Spread the first transmissions over one interval so devices do not all speak at once.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), rng.uniform(0, interval))
    while not stop.is_set():
        if device.joined or not device.busy:
            confirmed = device.joined and rng.random() < settings.confirmed_share
            device.send_uplink(confirmed=confirmed, payload=settings.payload)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval if device.joined else max(0.5, min(interval, 1.0)))


async def run(settings: SimSettings) -> RunResult:
    plan = get_plan(settings.frequency_plan_id)
    identities = gateway_identities(settings.prefix, settings.gateways)
    nonce_start = settings.dev_nonce_start
    if nonce_start is None:
        # DevNonces must grow across runs for 1.0.4 and 1.1 devices: start from the clock.
        nonce_start = int(time.time() / 10) % 60_000
    profiles = device_profiles(
        settings.prefix,
        settings.devices,
        seed=settings.seed,
        activation=settings.activation,
        version=settings.version,
        device_class=settings.device_class,
        frequency_plan_id=settings.frequency_plan_id,
        data_rate=settings.data_rate,
        payload_size=settings.payload_size,
        dev_nonce_start=nonce_start,
    )
    if settings.provision and settings.api_key:
        provisioner = Provisioner(settings.endpoints, settings.api_key, settings.application_id, owner=settings.owner)
        try:
            await provisioner.ensure_application()
            for identity in identities:
                await provisioner.register_gateway(identity.gateway_id, identity.eui, settings.frequency_plan_id)
            await provisioner.register_devices(profiles)
        finally:
            await provisioner.close()
    gateways = [build_gateway(settings, identity, plan) for identity in identities]
    rng = random.Random(settings.seed)
    devices = [
        EndDevice(
            profile,
            [GatewayLink(gw, rssi=rng.uniform(-110, -60), snr=rng.uniform(-5, 10)) for gw in gateways],
            plan=plan,
            rng=random.Random(rng.random()),
        )
        for profile in profiles
    ]
    return await _drive(settings, gateways, devices, rng)


async def _drive(
    settings: SimSettings, gateways: list[VirtualGateway], devices: list[EndDevice], rng: random.Random
) -> RunResult:
    started: list[VirtualGateway] = []
    stop = asyncio.Event()
    try:
        for gateway in gateways:
            await gateway.start()
            started.append(gateway)
            await gateway.wait_connected()
        begin = time.monotonic()
        tasks = [asyncio.create_task(_device_loop(d, settings, random.Random(rng.random()), stop)) for d in devices]
        await asyncio.sleep(settings.duration)
        stop.set()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - begin
        # Let downlinks for the last uplinks arrive before counting.
        last_window = max((d.busy_until for d in devices), default=0.0)
        await asyncio.sleep(min(7.0, max(0.0, last_window - time.monotonic())))
    finally:
        for gateway in started:
            await gateway.stop()
    device_totals, gateway_totals = DeviceCounters(), GatewayCounters()
    for device in devices:
        device_totals.add(device.counters)
    for gateway in gateways:
        gateway_totals.add(gateway.counters)
    joined = sum(1 for d in devices if d.joined)
    return RunResult(settings, elapsed, device_totals, gateway_totals, joined)
