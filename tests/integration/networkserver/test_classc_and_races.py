"""Class C delivery through the Redis downlink task queue, and racing uplinks on two replicas."""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf import field_mask_pb2

from integration.networkserver.frames import data_uplink, uplink_message
from integration.networkserver.nsharness import CLUSTER_MD, USER_MD
from integration.networkserver.test_registry import ALL_PATHS, abp_device
from integration.networkserver.test_uplink import (
    DEV_ADDR,
    Cluster,
    _device,
    _link_read,
    _send,
    _uplinks_metric,
    cluster,
)
from lorastack.lorawan import decode_phy_payload
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2, networkserver_pb2_grpc

__all__ = ["cluster"]


async def test_class_c_downlink_goes_out_when_queued(cluster: Cluster) -> None:
    device = abp_device("dev-c", "26011BDD")
    device.supports_class_c = True
    device.session.keys.session_key_id = b"c-session"
    async with cluster.channel() as channel:
        mask = field_mask_pb2.FieldMask(paths=[*ALL_PATHS, "supports_class_c"])
        await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(
            end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=mask), metadata=USER_MD
        )
    await _send(cluster, uplink_message(data_uplink("26011BDD", 1)), spread=False)
    await asyncio.sleep(0.4)
    before = len(cluster.peers.gateway.requests)
    async with cluster.channel(1) as channel:
        await networkserver_pb2_grpc.AsNsStub(channel).DownlinkQueuePush(
            messages_pb2.DownlinkQueueRequest(
                end_device_ids=device.ids,
                # FCnt 1: the uplink's class A downlink may have taken 0 for the plan's MAC requests.
                downlinks=[messages_pb2.ApplicationDownlink(session_key_id=b"c-session", f_port=4, f_cnt=1)],
            ),
            metadata=CLUSTER_MD,
        )
    # Poll rather than sleep: under load the class C task (or a late class A answer) takes longer.
    class_c: list[Any] = []
    for _ in range(100):
        class_c = [
            r for r in cluster.peers.gateway.requests[before:] if getattr(r.request, "class") == lorawan_pb2.CLASS_C
        ]
        if class_c:
            break
        await asyncio.sleep(0.1)
    (sent,) = class_c
    assert sent.request.rx2_frequency == 869_525_000 and not sent.request.rx1_frequency
    assert [p.uplink_token for p in sent.request.downlink_paths] == [b"token-gw-1"]
    assert decode_phy_payload(sent.raw_payload).payload.f_port == 4  # type: ignore[union-attr]


async def test_racing_uplinks_lose_no_update(cluster: Cluster) -> None:
    # Ten uplinks of one device land on both replicas at once: every one that is processed must
    # leave its trace in the stored MAC state (no write overwrites another).
    frames = [uplink_message(data_uplink(DEV_ADDR, f_cnt))[0] for f_cnt in range(1, 11)]
    await asyncio.gather(*(_send(cluster, [frame], spread=False) for frame in frames[::2]))
    await asyncio.gather(*(_send_to(cluster, 1, frame) for frame in frames[1::2]))
    await asyncio.sleep(0.6)
    processed = sum(_uplinks_metric(ns, "processed") for ns in cluster.nss)
    device = await _device(cluster)
    assert processed >= 1
    assert len(device.mac_state.recent_uplinks) == processed
    counters = [up.payload.mac_payload.full_f_cnt for up in device.mac_state.recent_uplinks]
    assert counters == sorted(counters)
    assert device.session.last_f_cnt_up == counters[-1]


async def _send_to(cluster: Cluster, index: int, message: messages_pb2.UplinkMessage) -> None:
    async with cluster.channel(index) as channel:
        await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(message, metadata=CLUSTER_MD)


async def test_class_c_downlink_no_gateway_takes_fails(cluster: Cluster) -> None:
    device = abp_device("dev-c2", "26011BDE")
    device.supports_class_c = True
    device.session.keys.session_key_id = b"c2"
    async with cluster.channel() as channel:
        mask = field_mask_pb2.FieldMask(paths=[*ALL_PATHS, "supports_class_c"])
        await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(
            end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=mask), metadata=USER_MD
        )
    cluster.peers.gateway.refuse_all = True
    async with cluster.channel() as channel:
        await networkserver_pb2_grpc.AsNsStub(channel).DownlinkQueuePush(
            messages_pb2.DownlinkQueueRequest(
                end_device_ids=device.ids,
                downlinks=[messages_pb2.ApplicationDownlink(session_key_id=b"c2", f_port=4, f_cnt=0)],
            ),
            metadata=CLUSTER_MD,
        )
    await asyncio.sleep(1.2)
    assert len(cluster.peers.gateway.requests) == 5
    ups = await _link_read(cluster, 2)
    assert [up.WhichOneof("up") for up in ups] == ["downlink_queued", "downlink_failed"]
    assert ups[1].downlink_failed.error.name == "downlink_not_scheduled"
