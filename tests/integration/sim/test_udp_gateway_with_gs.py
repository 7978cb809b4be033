"""A simulated UDP gateway and end device against the real Gateway Server in-process (fake IS and NS):
the join-request reaches the NS, and a join-accept scheduled through NsGs lands in the device's RX1 or RX2."""

from __future__ import annotations

import asyncio
import random

import pytest

from integration.gatewayserver.harness import EUI, Harness, running
from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.gateway import GatewayIdentity
from lorastack.sim.udp import UdpGateway
from ttn.lorawan.v3 import gatewayserver_pb2_grpc, lorawan_pb2, messages_pb2
from unit.sim.netside import join_accept, profile


def _sf(spreading_factor: int) -> lorawan_pb2.DataRate:
    return lorawan_pb2.DataRate(
        lora=lorawan_pb2.LoRaDataRate(spreading_factor=spreading_factor, bandwidth=125_000, coding_rate="4/5")
    )


def _accept_request(token: bytes, uplink: messages_pb2.UplinkMessage, payload: bytes) -> messages_pb2.DownlinkMessage:
    frequency = uplink.settings.frequency
    request = lorawan_pb2.TxRequest(
        downlink_paths=[lorawan_pb2.DownlinkPath(uplink_token=token)],
        rx1_delay=lorawan_pb2.RX_DELAY_5,
        rx1_frequency=frequency,
        rx1_data_rate=uplink.settings.data_rate,
        rx2_frequency=869_525_000,
        rx2_data_rate=_sf(12),
    )
    setattr(request, "class", lorawan_pb2.CLASS_A)
    return messages_pb2.DownlinkMessage(raw_payload=payload, request=request, correlation_ids=["sim:test"])


@pytest.mark.parametrize("lead_ms", [None, 5500])
async def test_device_joins_through_the_real_gateway_server(lead_ms: int | None) -> None:
    overrides = {} if lead_ms is None else {"gs_downlink_lead_ms": lead_ms}
    async with running(**overrides) as gs:
        await _join(gs, expect_window="rx1" if lead_ms is None else "rx2")


async def _join(gs: Harness, *, expect_window: str) -> None:
    gateway = UdpGateway(GatewayIdentity("gtw-one", EUI), get_plan("EU_863_870_TTN"), ("127.0.0.1", gs.gs.udp_port))
    await gateway.start()
    try:
        await gateway.wait_connected()
        device = EndDevice(profile("1.0.3", data_rate=5), [GatewayLink(gateway, -75, 8)], rng=random.Random(5))
        assert device.send_uplink()
        uplink = await gs.fake_ns.next_uplink()
        assert uplink.raw_payload[0] == 0x00 and len(uplink.raw_payload) == 23
        metadata = uplink.rx_metadata[0]
        assert metadata.gateway_ids.gateway_id == "gtw-one" and metadata.rssi == -75
        stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
        request = _accept_request(metadata.uplink_token, uplink, join_accept("1.0.3", 0))
        response = await stub.ScheduleDownlink(request, metadata=gs.cluster_md)
        assert response.rx1 == (expect_window == "rx1")
        for _ in range(300):
            if device.joined or gateway.counters.downlinks:
                break
            await asyncio.sleep(0.01)
        assert device.joined, device.counters
        assert getattr(device.counters, f"downlinks_{expect_window}") == 1
    finally:
        await gateway.stop()
