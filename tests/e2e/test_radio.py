"""End to end on the radio side: one uplink heard by three gateways reaches the application once with three
receptions, and ADR raises the data rate of a device that three gateways hear well."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from e2e.harness import E2E, join_all, links_to, start_e2e, wait_idle, wait_until
from lorastack.sim.device import GatewayLink
from ttn.lorawan.v3 import applicationserver_pb2_grpc, identifiers_pb2, messages_pb2

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def e2e(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[E2E]:
    async for harness in start_e2e(tmp_path_factory.mktemp("e2e-radio")):
        yield harness


async def _collect(stream: grpc.aio.UnaryStreamCall, into: list[messages_pb2.ApplicationUp]) -> None:
    async for up in stream:
        if up.WhichOneof("up") == "uplink_message":
            into.append(up)


async def test_uplink_heard_by_three_gateways_arrives_once_with_three_receptions(e2e: E2E) -> None:
    app_id = "e2e-dedup"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-dedup", 3)
    links = lambda: [GatewayLink(gw, rssi=-60.0 - 10 * i, snr=9.0 - i) for i, gw in enumerate(gateways)]  # noqa: E731
    (device,) = await e2e.add_devices(app_id, "e2e-dedup", 1, links)
    received: list[messages_pb2.ApplicationUp] = []
    async with grpc.aio.insecure_channel(e2e.endpoints.application_server) as channel:
        stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
            identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
            metadata=(("authorization", f"Bearer {key}"),),
        )
        collector = asyncio.create_task(_collect(stream, received))
        try:
            await join_all([device])
            await wait_idle(device)
            device.send_uplink(payload=b"\x00\xfa")
            await wait_until(lambda: len(received) >= 1, what="the uplink at the application")
            await asyncio.sleep(1.5)  # long past the dedup window: a second copy would be here by now
        finally:
            stream.cancel()
            collector.cancel()
    assert len(received) == 1
    metadata = received[0].uplink_message.rx_metadata
    assert sorted(md.gateway_ids.gateway_id for md in metadata) == sorted(gw.gateway_id for gw in gateways)
    assert {round(md.rssi) for md in metadata} == {-60, -70, -80}
    assert sum(gw.counters.uplinks for gw in gateways) == 3 * (device.counters.join_requests + device.counters.uplinks)


async def test_adr_raises_the_data_rate_of_a_device_close_to_three_gateways(e2e: E2E) -> None:
    app_id = "e2e-adr"
    await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-adr", 3)
    (device,) = await e2e.add_devices(app_id, "e2e-adr", 1, links_to(gateways, rssi=-50.0, snr=10.0), data_rate=0)
    await join_all([device])
    assert device.mac.data_rate == 0
    for _ in range(12):
        await wait_idle(device)
        if device.mac.data_rate >= 5:
            break
        device.send_uplink(payload=b"\x00\x10")
        await asyncio.sleep(0.1)
    await wait_idle(device)
    assert device.mac.data_rate == 5, (device.mac.history, device.counters.as_dict())
    # The device now sends at DR5; the network keeps hearing it there.
    before = sum(gw.counters.uplinks for gw in gateways)
    device.send_uplink(payload=b"\x00\x11")
    assert sum(gw.counters.uplinks for gw in gateways) == before + 3
