"""Data uplinks through GsNs.HandleUplink against the real Redis: deduplication across two NS
replicas, the AS link, drops that leave the device unchanged, class A downlinks via a test GS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import grpc
import pytest
from google.protobuf import field_mask_pb2
from redis.asyncio import Redis

from integration.networkserver.frames import NWK_S_KEY, data_uplink, uplink_message
from integration.networkserver.nsharness import (
    CLUSTER_MD,
    USER_MD,
    Peers,
    event_names,
    fake_peers,
    new_tag,
    ns_config,
    read_link,
    running_ns,
)
from integration.networkserver.test_registry import ALL_PATHS, APP, abp_device
from lorastack.component import Component
from lorastack.lorawan import (
    AES128Key,
    LinkCheckAns,
    LinkCheckReq,
    NewChannelReq,
    decode_phy_payload,
    encrypt_frm_payload,
    parse_mac_commands,
)
from lorastack.storage.redis import Keys
from networkserver.config import NetworkServerConfig
from networkserver.redisstore.dedup import RedisUplinkDeduplicator
from networkserver.server import build
from ttn.lorawan.v3 import end_device_pb2, messages_pb2, networkserver_pb2_grpc

DEV_ADDR = "26011BDA"


@dataclass
class Cluster:
    nss: list[Component]
    config: NetworkServerConfig
    peers: Peers

    def channel(self, index: int = 0) -> grpc.aio.Channel:
        """To replica ``index`` (modulo the replicas running)."""
        return grpc.aio.insecure_channel(f"127.0.0.1:{self.nss[index % len(self.nss)].grpc_port}")


@contextlib.asynccontextmanager
async def two_replicas(**overrides: Any) -> AsyncIterator[Cluster]:
    """Two NS replicas sharing one Redis, with the ABP device registered."""
    async with fake_peers() as peers:
        tag = new_tag()
        configs = [ns_config(tag, peers.address, **overrides), ns_config(tag, peers.address, **overrides)]
        async with running_ns(configs) as nss:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{nss[0].grpc_port}") as channel:
                registry = networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)
                request = end_device_pb2.SetEndDeviceRequest(
                    end_device=abp_device(), field_mask=field_mask_pb2.FieldMask(paths=ALL_PATHS)
                )
                await registry.Set(request, metadata=USER_MD)
            yield Cluster(nss, configs[0], peers)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with two_replicas() as replicas:
        yield replicas


async def _send(cluster: Cluster, messages: list[messages_pb2.UplinkMessage], spread: bool = True) -> None:
    for index, message in enumerate(messages):
        async with cluster.channel(index % len(cluster.nss) if spread else 0) as channel:
            await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(message, metadata=CLUSTER_MD)


async def _device(cluster: Cluster) -> end_device_pb2.EndDevice:
    async with cluster.channel() as channel:
        return await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Get(
            end_device_pb2.GetEndDeviceRequest(
                end_device_ids=abp_device().ids,
                field_mask=field_mask_pb2.FieldMask(paths=["session", "mac_state"]),
            ),
            metadata=USER_MD,
        )


async def _link_read(cluster: Cluster, count: int, timeout: float = 3.0) -> list[messages_pb2.ApplicationUp]:
    async with cluster.channel(1) as channel:
        out = await read_link(channel, APP, count, timeout)
    if len(out) < count:
        raise TimeoutError(f"got {len(out)} of {count} messages")
    return out


def _uplinks_metric(component: Component, outcome: str) -> float:
    value = component.metrics.registry.get_sample_value("lorastack_ns_uplinks_total", {"outcome": outcome})
    return value or 0.0


async def test_two_replicas_three_gateways_deliver_once(cluster: Cluster) -> None:
    raw = data_uplink(DEV_ADDR, 1, payload=b"hello")
    await _send(cluster, uplink_message(raw, ("gw-1", "gw-2", "gw-3")))
    await asyncio.sleep(0.4)
    ups = await _link_read(cluster, 1)
    assert len(ups) == 1
    uplink = ups[0].uplink_message
    assert (uplink.f_cnt, uplink.f_port, uplink.frm_payload) == (1, 1, b"hello")
    assert sorted(md.gateway_ids.gateway_id for md in uplink.rx_metadata) == ["gw-1", "gw-2", "gw-3"]
    with pytest.raises(TimeoutError):
        await _link_read(cluster, 1, timeout=0.5)
    device = await _device(cluster)
    assert device.session.last_f_cnt_up == 1
    processed = sum(_uplinks_metric(ns, "processed") for ns in cluster.nss)
    assert processed == 1
    assert "ns.up.data.process" in await event_names(cluster.config)


async def test_link_keeps_uplinks_while_the_as_is_away(cluster: Cluster) -> None:
    for f_cnt in (1, 2, 3):
        await _send(cluster, uplink_message(data_uplink(DEV_ADDR, f_cnt)))
        await asyncio.sleep(0.25)
    await asyncio.sleep(0.2)
    ups = await _link_read(cluster, 3)
    assert [up.uplink_message.f_cnt for up in ups] == [1, 2, 3]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (data_uplink(DEV_ADDR, 5, key=bytes(16)), "mic_mismatch"),
        (data_uplink("26011BDB", 5), "unknown_dev_addr"),
        (b"\x40\x01\x02", "malformed"),
    ],
)
async def test_drops_leave_the_device_unchanged(cluster: Cluster, frame: bytes, reason: str) -> None:
    before = await _device(cluster)
    await _send(cluster, uplink_message(frame), spread=False)
    await asyncio.sleep(0.4)
    after = await _device(cluster)
    assert after == before
    assert _uplinks_metric(cluster.nss[0], reason) == 1
    assert "ns.up.data.drop" in await event_names(cluster.config)


async def test_replay_is_dropped(cluster: Cluster) -> None:
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 7)), spread=False)
    await asyncio.sleep(0.3)
    before = await _device(cluster)
    # Same counter, different payload: not a duplicate copy, a replay.
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 7, payload=b"again")), spread=False)
    await asyncio.sleep(0.3)
    assert await _device(cluster) == before
    assert _uplinks_metric(cluster.nss[0], "f_cnt_replay") == 1


async def test_late_copy_is_dropped(cluster: Cluster) -> None:
    messages = uplink_message(data_uplink(DEV_ADDR, 9), ("gw-1", "gw-2"))
    await _send(cluster, messages[:1], spread=False)
    await asyncio.sleep(0.3)
    await _send(cluster, messages[1:], spread=False)
    assert _uplinks_metric(cluster.nss[0], "late_duplicate") == 1


async def test_confirmed_uplink_is_acknowledged_with_rx2_fallback(cluster: Cluster) -> None:
    cluster.peers.gateway.refuse_rx1 = True
    link_check = LinkCheckReq().encode()
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 3, confirmed=True, f_opts=link_check)), spread=False)
    await asyncio.sleep(0.5)
    requests = cluster.peers.gateway.requests
    assert [bool(r.request.rx1_frequency) for r in requests] == [True, False]
    sent = requests[-1]
    assert sent.request.rx2_frequency == 869_525_000
    assert [p.uplink_token for p in sent.request.downlink_paths] == [b"token-gw-1"]
    phy = decode_phy_payload(sent.raw_payload)
    fhdr = phy.payload.fhdr  # type: ignore[union-attr]
    assert fhdr.f_ctrl.ack
    # The plan has channels the band's defaults lack: with NewChannelReqs the commands overflow
    # FOpts and travel in FRMPayload on FPort 0, encrypted with the NwkSKey.
    assert phy.payload.f_port == 0  # type: ignore[union-attr]
    plain = encrypt_frm_payload(AES128Key(NWK_S_KEY), fhdr.dev_addr, 0, phy.payload.frm_payload, uplink=False)  # type: ignore[union-attr]
    answers = parse_mac_commands(plain, uplink=False)
    assert isinstance(answers[0], LinkCheckAns)
    assert answers[0].gw_cnt == 1
    assert any(isinstance(a, NewChannelReq) for a in answers)
    device = await _device(cluster)
    assert not device.mac_state.queued_responses
    assert device.session.last_n_f_cnt_down == 0
    assert len(device.mac_state.pending_requests) == len(answers) - 1
    names = await event_names(cluster.config)
    assert "ns.down.data.schedule.success" in names
    assert "ns.mac.link_check.request" in names


async def test_a_lone_uplink_does_not_wait_for_the_gather_span() -> None:
    async with two_replicas(ns_uplink_gather_ms=3000) as cluster:
        await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 1), ("gw-1",)))
        # The 100 ms window closes and nothing is due behind it: no reason to wait 3 s for a batch.
        assert len(await _link_read(cluster, 1, timeout=1.5)) == 1


async def test_gsns_needs_the_cluster_key_and_metrics_are_scraped(cluster: Cluster) -> None:
    async with cluster.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(
                uplink_message(data_uplink(DEV_ADDR, 1))[0], metadata=USER_MD
            )
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 1), ("gw-1", "gw-2")), spread=False)
    await asyncio.sleep(0.4)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{cluster.nss[0].http_port}/metrics") as resp,
    ):
        text = await resp.text()
    assert 'lorastack_ns_uplinks_total{outcome="processed"} 1.0' in text
    assert "lorastack_ns_uplink_gateways_bucket" in text
    assert 'lorastack_ns_hop_latency_seconds_count{hop="gs_to_ns"}' in text


async def test_unacknowledged_ups_are_sent_again_on_the_next_link(cluster: Cluster) -> None:
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 1, payload=b"keep")), spread=False)
    await asyncio.sleep(0.4)
    async with cluster.channel() as channel:
        # An AS that dies before acknowledging: the stream gives the message, no Empty goes back.
        call = networkserver_pb2_grpc.AsNsStub(channel).LinkApplication(metadata=(*CLUSTER_MD, ("id", APP)))
        first = await asyncio.wait_for(call.read(), 3)
        call.cancel()
    assert first.uplink_message.frm_payload == b"keep"
    (again,) = await _link_read(cluster, 1)
    assert again.uplink_message.frm_payload == b"keep"
    with pytest.raises(TimeoutError):
        await _link_read(cluster, 1, timeout=0.5)


async def _left_by_a_killed_replica(cluster: Cluster, owner: str, f_cnt: int) -> None:
    """What a replica leaves when it is killed after taking the copies of two gateways."""
    redis = Redis.from_url(cluster.config.redis_url)
    dead = RedisUplinkDeduplicator(redis, Keys(cluster.config.redis_prefix), owner=owner, lease_ms=1000)
    raw = data_uplink(DEV_ADDR, f_cnt, payload=b"orphan")
    for message in uplink_message(raw, ("gw-1", "gw-2")):
        await dead.add(raw, message.SerializeToString(), cluster.config.ns_dedup_window_ms, 500)
    await dead.collect_many([raw])
    await redis.aclose()


async def _delivered_once(cluster: Cluster, f_cnt: int, timeout: float) -> None:
    (up,) = await _link_read(cluster, 1, timeout=timeout)
    assert (up.uplink_message.f_cnt, up.uplink_message.frm_payload) == (f_cnt, b"orphan")
    assert len(up.uplink_message.rx_metadata) == 2
    assert (await _device(cluster)).session.last_f_cnt_up == f_cnt
    recovered = sum(
        ns.metrics.registry.get_sample_value("lorastack_ns_uplinks_recovered_total") or 0 for ns in cluster.nss
    )
    assert recovered == 1
    with pytest.raises(TimeoutError):
        await _link_read(cluster, 1, timeout=1.5)


async def test_an_uplink_whose_replica_died_is_taken_over_after_its_lease() -> None:
    async with two_replicas(ns_uplink_lease_ms=1000) as cluster:
        await _left_by_a_killed_replica(cluster, "gone:3884", 4)
        with pytest.raises(TimeoutError):
            await _link_read(cluster, 1, timeout=0.5)
        await _delivered_once(cluster, 4, timeout=5.0)


async def test_a_restarted_replica_finishes_its_uplinks_first() -> None:
    async with fake_peers() as peers:
        config = ns_config(new_tag(), peers.address, ns_replica_id="ns-0")
        first = await build(config)
        await first.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{first.grpc_port}") as channel:
                request = end_device_pb2.SetEndDeviceRequest(
                    end_device=abp_device(), field_mask=field_mask_pb2.FieldMask(paths=ALL_PATHS)
                )
                await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(request, metadata=USER_MD)
            await _left_by_a_killed_replica(Cluster([first], config, peers), "ns-0", 4)
        finally:
            await first.stop()
        # The same replica started again: its uplink is handled at once, not after the 10 s lease.
        async with running_ns([config]) as restarted:
            await _delivered_once(Cluster(restarted, config, peers), 4, timeout=2.0)
