"""The virtual packet forwarder against a fake Gateway Server socket: bytes on the wire per Semtech's
PROTOCOL.TXT (version 2), and a device joining through it."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections.abc import AsyncIterator
from typing import cast

import pytest

from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.gateway import GatewayIdentity
from lorastack.sim.radio import Downlink, Uplink
from lorastack.sim.udp import UdpGateway, codec
from unit.sim.netside import join_accept, profile

EUI = bytes.fromhex("AA555A0000000101")


class FakeServer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait((data, addr))

    async def next(self, identifier: int) -> tuple[bytes, tuple[str, int]]:
        async with asyncio.timeout(3):
            while True:
                data, addr = await self.received.get()
                if data[3] == identifier:
                    return data, addr

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(FakeServer, local_addr=("127.0.0.1", 0))
    yield protocol
    transport.close()


async def connected(server: FakeServer, stat_interval: float = 30.0) -> tuple[UdpGateway, tuple[str, int]]:
    assert server.transport is not None
    port = server.transport.get_extra_info("sockname")[1]
    plan = get_plan("EU_863_870_TTN")
    gateway = UdpGateway(GatewayIdentity("gw-1", EUI), plan, ("127.0.0.1", port), stat_interval=stat_interval)
    await gateway.start()
    pull, down_addr = await server.next(codec.PULL_DATA)
    assert pull[0] == 2 and pull[4:] == EUI and len(pull) == 12
    server.send(b"\x02" + pull[1:3] + b"\x04", down_addr)
    await gateway.wait_connected()
    return gateway, down_addr


async def test_keepalive_then_push_data_carries_an_rxpk_and_push_ack_is_counted(server: FakeServer) -> None:
    gateway, _ = await connected(server)
    try:
        tmst = gateway.hear(Uplink(b"\x40\x01\x02", 868_300_000, 5, time.monotonic()), -87.4, 7.25)
        assert tmst is not None
        push, up_addr = await server.next(codec.PUSH_DATA)
        assert push[0] == 2 and push[4:12] == EUI
        rxpk = json.loads(push[12:])["rxpk"][0]
        assert rxpk["tmst"] == tmst and rxpk["freq"] == 868.3 and rxpk["chan"] == 1 and rxpk["rfch"] == 1
        assert (rxpk["modu"], rxpk["datr"], rxpk["codr"], rxpk["stat"]) == ("LORA", "SF7BW125", "4/5", 1)
        assert (rxpk["rssi"], rxpk["lsnr"], rxpk["size"]) == (-87, 7.2, 3)
        assert base64.b64decode(rxpk["data"]) == b"\x40\x01\x02"
        assert rxpk["time"].endswith("Z")
        server.send(b"\x02" + push[1:3] + b"\x01", up_addr)
        for _ in range(100):
            if gateway.counters.uplinks_acked:
                break
            await asyncio.sleep(0.01)
        assert gateway.counters.uplinks_acked == 1
        assert gateway.hear(Uplink(b"x", 869_525_000, 5, time.monotonic()), -80, 5) is None
    finally:
        await gateway.stop()


@pytest.mark.parametrize(("offset_us", "error", "delivered"), [(800_000, "NONE", 1), (-50_000, "TOO_LATE", 0)])
async def test_pull_resp_is_answered_with_tx_ack(
    server: FakeServer, offset_us: int, error: str, delivered: int
) -> None:
    gateway, down_addr = await connected(server)
    heard: list[Downlink] = []
    gateway.add_listener(heard.append)
    try:
        tmst = (gateway.clock.tmst() + offset_us) % (1 << 32)
        txpk = {"tmst": tmst, "freq": 869.525, "rfch": 0, "powe": 14, "modu": "LORA", "datr": "SF9BW125"}
        txpk.update({"codr": "4/5", "ipol": True, "size": 4, "data": base64.b64encode(b"\x60abc").decode()})
        server.send(b"\x02\x12\x34\x03" + json.dumps({"txpk": txpk}).encode(), down_addr)
        ack, _ = await server.next(codec.TX_ACK)
        assert ack[:4] == b"\x02\x12\x34\x05" and ack[4:12] == EUI
        assert json.loads(ack[12:]) == {"txpk_ack": {"error": error}}
        assert len(heard) == delivered
        if delivered:
            assert heard[0] == Downlink(b"\x60abc", 869_525_000, 3, "gw-1", tmst)
    finally:
        await gateway.stop()


async def test_device_joins_through_the_udp_gateway(server: FakeServer) -> None:
    gateway, down_addr = await connected(server)
    device = EndDevice(profile("1.0.3"), [GatewayLink(gateway, rssi=-70, snr=9)], rng=random.Random(3))
    try:
        assert device.send_uplink()
        push, _ = await server.next(codec.PUSH_DATA)
        rxpk = json.loads(push[12:])["rxpk"][0]
        accept = join_accept("1.0.3", 0)
        txpk = {"tmst": (rxpk["tmst"] + 5_000_000) % (1 << 32), "freq": rxpk["freq"], "datr": "SF7BW125"}
        txpk.update({"data": base64.b64encode(accept).decode(), "size": len(accept), "modu": "LORA"})
        server.send(b"\x02\x00\x07\x03" + json.dumps({"txpk": txpk}).encode(), down_addr)
        await server.next(codec.TX_ACK)
        assert device.joined and device.counters.downlinks_rx1 == 1
    finally:
        await gateway.stop()


def test_server_packets_that_are_not_the_protocol_are_refused() -> None:
    for datagram in (b"\x02\x00", b"\x01\x00\x00\x01", b"\x02\x00\x00\x00", b"\x02\x00\x00\x03not json"):
        with pytest.raises(codec.CodecError):
            codec.parse_server_packet(datagram)
    assert codec.parse_server_packet(b"\x02\xab\xcd\x04") == codec.ServerPacket(b"\xab\xcd", codec.PULL_ACK)


async def test_stat_is_pushed_each_interval(server: FakeServer) -> None:
    gateway, _ = await connected(server, stat_interval=0.05)
    try:
        push, _ = await server.next(codec.PUSH_DATA)
        stat = json.loads(push[12:])["stat"]
        assert stat["time"].endswith(" GMT")
        assert {"rxnb", "rxok", "rxfw", "ackr", "dwnb", "txnb"} <= set(stat)
    finally:
        await gateway.stop()
