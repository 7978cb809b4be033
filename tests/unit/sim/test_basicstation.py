"""The virtual Basics Station against a small aiohttp LNS in the test: discovery, version/router_config,
jreq/updf (checked with the Gateway Server's own decoder), dnmsg into a device's RX1, dntxed, timesync."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from gatewayserver.basicstation.codec import parse_message, uplink_frame
from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.basicstation import BasicStationGateway, DiscoveryError
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.gateway import GatewayIdentity
from unit.sim.netside import DEV_ADDR, join_accept, profile

EUI = bytes.fromhex("B827EBFFFE6151E5")
KEY = "NNSXS.STATION.SECRET"


@dataclass
class FakeLns:
    base: str = ""
    received: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    authorization: str = ""
    queries: list[Any] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None

    async def router_info(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        query = await ws.receive_json()
        self.queries.append(query)
        if query.get("router") == EUI.hex().upper():
            await ws.send_json({"router": query["router"], "muxs": "muxs-::0", "uri": f"{self.base}/traffic/x"})
        else:
            await ws.send_json({"router": query.get("router"), "error": "router not provisioned"})
        await ws.close()
        return ws

    async def traffic(self, request: web.Request) -> web.WebSocketResponse:
        self.authorization = request.headers.get("Authorization", "")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket = ws
        async for msg in ws:
            body = msg.json()
            await self.received.put(body)
            if body["msgtype"] == "version":
                await ws.send_json({"msgtype": "router_config", "region": "EU863", "DRs": [], "MuxTime": 1.0})
            elif body["msgtype"] == "timesync":
                await ws.send_json({"msgtype": "timesync", "txtime": body["txtime"], "gpstime": 1_000_000})
        return ws

    async def next(self, msgtype: str) -> dict[str, Any]:
        async with asyncio.timeout(3):
            while True:
                body = await self.received.get()
                if body["msgtype"] == msgtype:
                    return body


@pytest.fixture
async def lns() -> AsyncIterator[FakeLns]:
    fake = FakeLns()
    app = web.Application()
    app.router.add_get("/router-info", fake.router_info)
    app.router.add_get("/traffic/x", fake.traffic)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base = f"ws://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def station(lns: FakeLns, eui: bytes = EUI) -> BasicStationGateway:
    return BasicStationGateway(GatewayIdentity("bs-1", eui), get_plan("EU_863_870_TTN"), lns.base, api_key=KEY)


async def test_discovery_version_and_router_config(lns: FakeLns) -> None:
    gateway = station(lns)
    await gateway.start()
    try:
        await gateway.wait_connected()
        version = await lns.next("version")
        assert version["protocol"] == 2 and version["station"]
        assert lns.authorization == f"Bearer {KEY}"
        assert gateway.router_config is not None and gateway.router_config["region"] == "EU863"
        sync = await lns.next("timesync")
        assert isinstance(sync["txtime"], int)
    finally:
        await gateway.stop()


async def test_unprovisioned_station_is_refused_at_discovery(lns: FakeLns) -> None:
    gateway = station(lns, bytes(8))
    with pytest.raises(DiscoveryError):
        await gateway.start()
    await gateway.stop()


async def test_device_joins_and_sends_updf_through_the_station(lns: FakeLns) -> None:
    gateway = station(lns)
    await gateway.start()
    device = EndDevice(profile("1.0.3"), [GatewayLink(gateway, -71, 6.5)], rng=random.Random(2))
    try:
        await gateway.wait_connected()
        device.send_uplink()
        jreq = await lns.next("jreq")
        assert jreq["JoinEui"] == "70-B3-D5-7E-D0-00-00-00" and jreq["DevEui"] == "00-04-A3-0B-00-1C-05-30"
        assert uplink_frame(parse_message(_json(jreq))) == device.last_frame
        upinfo = jreq["upinfo"]
        assert (upinfo["rssi"], upinfo["snr"]) == (-71, 6.5) and upinfo["xtime"] >> 48 == gateway.clock.session
        dnmsg = {
            "msgtype": "dnmsg",
            "DevEui": jreq["DevEui"],
            "dC": 0,
            "diid": 17,
            "pdu": join_accept("1.0.3", 0).hex(),
            "RxDelay": 5,
            "RX1DR": jreq["DR"],
            "RX1Freq": jreq["Freq"],
            "xtime": upinfo["xtime"],
            "rctx": 0,
            "priority": 25,
        }
        assert lns.socket is not None
        await lns.socket.send_json(dnmsg)
        dntxed = await lns.next("dntxed")
        assert dntxed["diid"] == 17 and dntxed["xtime"] == upinfo["xtime"] + 5_000_000
        assert device.joined and device.counters.downlinks_rx1 == 1
        device.send_uplink(payload=b"\x01\x02")
        updf = await lns.next("updf")
        assert updf["DevAddr"] == int.from_bytes(DEV_ADDR.to_le(), "little", signed=True)
        assert uplink_frame(parse_message(_json(updf))) == device.last_frame
    finally:
        await gateway.stop()


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)
