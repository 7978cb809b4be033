"""A simulated Basics Station and device against the real Gateway Server's LNS (fake IS and NS): discovery,
the API-key link, a jreq forwarded to the NS, and a join-accept scheduled through NsGs heard in RX1."""

from __future__ import annotations

import asyncio
import random

from integration.gatewayserver.harness import EUI, USER_KEY, running
from integration.sim.test_udp_gateway_with_gs import _accept_request
from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.basicstation import BasicStationGateway
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.gateway import GatewayIdentity
from ttn.lorawan.v3 import gatewayserver_pb2_grpc
from unit.sim.netside import join_accept, profile


async def test_device_joins_through_a_station_on_the_real_lns() -> None:
    async with running() as gs:
        url = f"ws://127.0.0.1:{gs.gs.lns_port}"
        station = BasicStationGateway(GatewayIdentity("gtw-one", EUI), get_plan("EU_863_870"), url, api_key=USER_KEY)
        await station.start()
        try:
            await station.wait_connected()
            assert station.router_config is not None
            device = EndDevice(profile("1.0.4", data_rate=5), [GatewayLink(station, -80, 4)], rng=random.Random(9))
            device.send_uplink()
            uplink = await gs.fake_ns.next_uplink()
            assert uplink.raw_payload == device.last_frame
            token = uplink.rx_metadata[0].uplink_token
            stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
            response = await stub.ScheduleDownlink(
                _accept_request(token, uplink, join_accept("1.0.4", 0)), metadata=gs.cluster_md
            )
            assert response.rx1
            for _ in range(300):
                if device.joined:
                    break
                await asyncio.sleep(0.01)
            assert device.joined, device.counters
            assert device.counters.downlinks_rx1 == 1
        finally:
            await station.stop()
