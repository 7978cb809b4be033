"""NsGs.ScheduleDownlink through a Semtech UDP gateway: RX1/RX2 timing, refusals, class C, TX_ACK, stats."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import grpc
import pytest

from integration.gatewayserver.harness import EUI, USER_KEY, Harness, UdpGateway, running
from integration.gatewayserver.test_udp_uplink import join_request, push_data
from lorastack.events import gateway as gateway_ref
from ttn.lorawan.v3 import (
    gatewayserver_pb2_grpc,
    identifiers_pb2,
    lorawan_pb2,
    messages_pb2,
)

PAYLOAD = bytes.fromhex("20" + "11" * 16)
SF7 = lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(spreading_factor=7, bandwidth=125_000, coding_rate="4/5"))
SF9 = lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(spreading_factor=9, bandwidth=125_000, coding_rate="4/5"))


async def connect(gs: Harness, tmst: int = 2_000_000) -> tuple[UdpGateway, UdpGateway, bytes]:
    """A gateway with separate up and down sockets, as the packet forwarder has; returns the uplink token."""
    up, down = await gs.gateway(), await gs.gateway()
    down.send(b"\x02\x00\x01\x02" + EUI)
    assert await down.receive() == b"\x02\x00\x01\x04"
    up.send(push_data(b"\x00\x02", join_request(tmst)))
    assert await up.receive() == b"\x02\x00\x02\x01"
    uplink = await gs.fake_ns.next_uplink()
    return up, down, uplink.rx_metadata[0].uplink_token


def class_a(token: bytes, rx1_delay: int = 1) -> messages_pb2.DownlinkMessage:
    request = lorawan_pb2.TxRequest(
        downlink_paths=[lorawan_pb2.DownlinkPath(uplink_token=token)],
        rx1_delay=rx1_delay,  # type: ignore[arg-type]
        rx1_frequency=868_500_000,
        rx1_data_rate=SF7,
        rx2_frequency=869_525_000,
        rx2_data_rate=SF9,
    )
    setattr(request, "class", lorawan_pb2.CLASS_A)
    return messages_pb2.DownlinkMessage(raw_payload=PAYLOAD, request=request, correlation_ids=["ns:downlink:1"])


def txpk_of(datagram: bytes) -> tuple[bytes, dict[str, object]]:
    assert datagram[0] == 2 and datagram[3] == 0x03
    return datagram[1:3], json.loads(datagram[4:])["txpk"]


async def test_rx1_becomes_tmst_plus_delay(gs: Harness) -> None:
    _, down, token = await connect(gs, tmst=4_000_000)
    stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
    response = await stub.ScheduleDownlink(class_a(token, rx1_delay=5), metadata=gs.cluster_md)
    assert response.rx1 and not response.rx2
    assert 4.5 < response.delay.ToTimedelta().total_seconds() <= 5.0
    _, txpk = txpk_of(await down.receive())
    assert txpk == {
        "tmst": 9_000_000,
        "freq": 868.5,
        "rfch": 0,
        "powe": 16,
        "modu": "LORA",
        "datr": "SF7BW125",
        "codr": "4/5",
        "ipol": True,
        "size": len(PAYLOAD),
        "ncrc": True,
        "data": base64.b64encode(PAYLOAD).decode(),
    }


async def test_rx2_when_rx1_is_too_late_then_refused_when_both_are() -> None:
    async with running(gs_downlink_lead_ms=1500) as gs:
        _, down, token = await connect(gs, tmst=100)
        stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
        response = await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
        assert response.rx2 and not response.rx1
        _, txpk = txpk_of(await down.receive())
        assert (txpk["tmst"], txpk["freq"], txpk["datr"], txpk["powe"]) == (2_000_100, 869.525, "SF9BW125", 29)
    async with running(gs_downlink_lead_ms=2500) as gs:
        _, down, token = await connect(gs)
        stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "too late" in (err.value.details() or "")
        await down.nothing()


async def test_two_downlinks_in_one_window_conflict(gs: Harness) -> None:
    _, down, token = await connect(gs)
    stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
    first = await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
    second = await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
    assert first.rx1 and second.rx2
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert [txpk_of(await down.receive())[1]["tmst"] for _ in range(2)] == [3_000_000, 4_000_000]


async def test_class_c_goes_out_as_soon_as_possible(gs: Harness) -> None:
    up, down = await gs.gateway(), await gs.gateway()
    down.send(b"\x02\x00\x01\x02" + EUI)
    assert await down.receive() == b"\x02\x00\x01\x04"
    request = lorawan_pb2.TxRequest(
        downlink_paths=[
            lorawan_pb2.DownlinkPath(
                fixed=lorawan_pb2.GatewayAntennaIdentifiers(
                    gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id="gtw-one")
                )
            )
        ],
        rx2_frequency=869_525_000,
        rx2_data_rate=SF9,
    )
    setattr(request, "class", lorawan_pb2.CLASS_C)
    stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
    response = await stub.ScheduleDownlink(
        messages_pb2.DownlinkMessage(raw_payload=PAYLOAD, request=request), metadata=gs.cluster_md
    )
    assert response.rx2
    # No uplink yet, so the concentrator clock is unknown: the gateway sends immediately.
    _, txpk = txpk_of(await down.receive())
    assert txpk["imme"] is True and "tmst" not in txpk
    # Once an uplink taught the clock, class C is placed on it after the lead time.
    up.send(push_data(b"\x00\x03", join_request(50_000_000)))
    await gs.fake_ns.next_uplink()
    await stub.ScheduleDownlink(
        messages_pb2.DownlinkMessage(raw_payload=PAYLOAD, request=request), metadata=gs.cluster_md
    )
    _, txpk = txpk_of(await down.receive())
    assert isinstance(txpk["tmst"], int) and 50_100_000 <= txpk["tmst"] < 51_000_000


async def test_refusals(gs: Harness) -> None:
    stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ScheduleDownlink(class_a(b"\x01\x02"), metadata=gs.cluster_md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, _, token = await connect(gs)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ScheduleDownlink(class_a(token))
    assert err.value.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    gs.gs.connections.remove(gs.gs.connections.all()[0])
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_tx_ack_events_and_connection_stats(gs: Harness) -> None:
    async with gs.bus.subscribe([gateway_ref("gtw-one")], names=["gs.down.tx.fail", "gs.up.receive"]) as events:
        up, down, token = await connect(gs)
        stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
        await stub.ScheduleDownlink(class_a(token), metadata=gs.cluster_md)
        pull_token, _ = txpk_of(await down.receive())
        up.send(b"\x02" + pull_token + b"\x05" + EUI + b'{"txpk_ack":{"error":"COLLISION_PACKET"}}')
        async with asyncio.timeout(5):
            names = [(await anext(events)).name for _ in range(2)]
    # Events travel on separate subjects: their order across subjects is not guaranteed.
    assert sorted(names) == ["gs.down.tx.fail", "gs.up.receive"]
    await gs.gs.stats.flush()

    stats = await gatewayserver_pb2_grpc.GsStub(gs.channel).GetGatewayConnectionStats(
        identifiers_pb2.GatewayIdentifiers(gateway_id="gtw-one"), metadata=(("authorization", f"Bearer {USER_KEY}"),)
    )
    assert stats.protocol == "udp"
    assert (stats.uplink_count, stats.downlink_count, stats.tx_acknowledgment_count) == (1, 1, 1)
    assert stats.round_trip_times.count == 1 and stats.gateway_remote_address.ip == "127.0.0.1"
    (g1,) = [b for b in stats.sub_bands if b.min_frequency == 868_000_000]
    assert g1.downlink_utilization_limit == pytest.approx(0.01, rel=1e-6) and 0 < g1.downlink_utilization < 0.0001
    url = f"{gs.http_base}/gs/gateways/gtw-one/connection/stats"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {USER_KEY}"}) as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body["protocol"] == "udp" and body["uplink_count"] == "1"
        async with http.get(url, headers={"Authorization": "Bearer NNSXS.SOMEONE.ELSE"}) as resp:
            assert resp.status == 403
        async with http.get(
            f"{gs.http_base}/gs/gateways/never-seen/connection/stats", headers={"Authorization": f"Bearer {USER_KEY}"}
        ) as resp:
            assert resp.status == 404


async def test_any_replica_schedules_through_the_one_holding_the_gateway(gs: Harness) -> None:
    async with running(redis_prefix=gs.config.redis_prefix) as other:
        _, down, token = await connect(gs, tmst=3_000_000)
        await asyncio.sleep(0.1)  # the presence claim is written in the background
        response = await gatewayserver_pb2_grpc.NsGsStub(other.channel).ScheduleDownlink(
            class_a(token), metadata=gs.cluster_md
        )
        assert response.rx1
        _, txpk = txpk_of(await down.receive())
        assert txpk["tmst"] == 4_000_000
        # A gateway that no replica holds is reported as not connected, without forwarding loops.
        gs.gs.connections.remove(gs.gs.connections.all()[0])
        await asyncio.sleep(0.1)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await gatewayserver_pb2_grpc.NsGsStub(other.channel).ScheduleDownlink(
                class_a(token), metadata=gs.cluster_md
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_duty_cycle_exhaustion_in_eu868(gs: Harness) -> None:
    _, down, _ = await connect(gs)
    request = lorawan_pb2.TxRequest(
        downlink_paths=[
            lorawan_pb2.DownlinkPath(
                fixed=lorawan_pb2.GatewayAntennaIdentifiers(
                    gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id="gtw-one")
                )
            )
        ],
        rx2_frequency=868_300_000,  # 868.0-868.6 MHz: 1 % of an hour is 36 s
        rx2_data_rate=lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(spreading_factor=12, bandwidth=125_000)),
    )
    setattr(request, "class", lorawan_pb2.CLASS_C)
    stub = gatewayserver_pb2_grpc.NsGsStub(gs.channel)
    sent = 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        for _ in range(60):
            await stub.ScheduleDownlink(
                messages_pb2.DownlinkMessage(raw_payload=bytes(20), request=request), metadata=gs.cluster_md
            )
            sent += 1
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # 20 bytes at SF12/125 kHz last 1.318 s: 27 of them fit in 36 s.
    assert sent == 27
    for _ in range(sent):
        await down.receive()
