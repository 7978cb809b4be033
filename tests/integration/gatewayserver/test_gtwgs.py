"""GtwGs over gRPC: a gateway linking with its own API key, uplinks, downlinks, TX acknowledgments."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import empty_pb2

from integration.gatewayserver.harness import GATEWAY_KEY, USER_KEY, Harness
from integration.gatewayserver.test_udp_downlink import class_a
from ttn.lorawan.v3 import gatewayserver_pb2, gatewayserver_pb2_grpc, lorawan_pb2, messages_pb2, metadata_pb2

GATEWAY_MD = (("authorization", f"Bearer {GATEWAY_KEY}"),)
JOIN = bytes(23)


def uplink(timestamp: int) -> gatewayserver_pb2.GatewayUp:
    message = messages_pb2.UplinkMessage(
        raw_payload=JOIN,
        settings=lorawan_pb2.TxSettings(
            data_rate=lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(spreading_factor=7, bandwidth=125_000)),
            frequency=868_100_000,
            timestamp=timestamp,
        ),
        rx_metadata=[metadata_pb2.RxMetadata(timestamp=timestamp, rssi=-40, snr=8)],
    )
    return gatewayserver_pb2.GatewayUp(uplink_messages=[message])


async def test_concentrator_config(gs: Harness) -> None:
    stub = gatewayserver_pb2_grpc.GtwGsStub(gs.channel)
    config = await stub.GetConcentratorConfig(empty_pb2.Empty(), metadata=GATEWAY_MD)
    assert [c.frequency for c in config.channels][:3] == [868_100_000, 868_300_000, 868_500_000]
    assert config.radios[0].frequency == 867_500_000 and config.radios[0].tx_configuration.max_frequency == 870_000_000
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetConcentratorConfig(empty_pb2.Empty(), metadata=(("authorization", f"Bearer {USER_KEY}"),))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_link_gateway(gs: Harness) -> None:
    stub = gatewayserver_pb2_grpc.GtwGsStub(gs.channel)
    call = stub.LinkGateway(metadata=GATEWAY_MD)
    await call.write(uplink(7_000_000))
    forwarded = await gs.fake_ns.next_uplink()
    md = forwarded.rx_metadata[0]
    assert md.gateway_ids.gateway_id == "gtw-one" and md.uplink_token
    response = await gatewayserver_pb2_grpc.NsGsStub(gs.channel).ScheduleDownlink(
        class_a(md.uplink_token), metadata=gs.cluster_md
    )
    assert response.rx1
    async with asyncio.timeout(5):
        down = await call.read()
    assert isinstance(down, gatewayserver_pb2.GatewayDown)
    scheduled = down.downlink_message.scheduled
    assert scheduled.timestamp == 8_000_000 and scheduled.frequency == 868_500_000
    ack = messages_pb2.TxAcknowledgment(
        correlation_ids=down.downlink_message.correlation_ids, result=messages_pb2.TxAcknowledgment.SUCCESS
    )
    await call.write(gatewayserver_pb2.GatewayUp(tx_acknowledgment=ack))
    await gs.metric_reaches(1, "tx_acknowledgments_total", protocol="grpc", result="SUCCESS")
    await call.done_writing()
    call.cancel()
    await asyncio.sleep(0.1)
    assert gs.gs.connections.get("gtw-one") is None
