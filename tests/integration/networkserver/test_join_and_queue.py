"""OTAA join through a stand-in JS answering with a real join-accept (sent by whichever replica takes
the device's downlink task), the first uplink in the new session, and the application downlink queue
(push, list, replace, validation, delivery)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import field_mask_pb2

from integration.networkserver.frames import NWK_S_KEY, data_uplink, uplink_message
from integration.networkserver.nsharness import CLUSTER_MD, USER_MD, fake_peers, new_tag, ns_config, running_ns
from integration.networkserver.test_registry import APP
from integration.networkserver.test_uplink import DEV_ADDR, Cluster, _device, _link_read, _send, cluster
from lorastack.lorawan import (
    EUI64,
    MHDR,
    AES128Key,
    DevAddr,
    DevNonce,
    DLSettings,
    JoinAcceptPayload,
    JoinNonce,
    JoinRequestPayload,
    MType,
    NetID,
    PHYPayload,
    decode_phy_payload,
    derive_app_s_key_1_0,
    derive_nwk_s_key_1_0,
    encrypt_join_accept,
    join_accept_mic_1_0,
    join_request_mic,
)
from ttn.lorawan.v3 import (
    end_device_pb2,
    identifiers_pb2,
    join_pb2,
    keys_pb2,
    lorawan_pb2,
    messages_pb2,
    networkserver_pb2_grpc,
)

__all__ = ["cluster"]

APP_KEY = AES128Key(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C"))
JOIN_EUI = EUI64.from_hex("70B3D57ED0000000")
DEV_EUI = EUI64.from_hex("0004A30B001C0530")
JOIN_NONCE = JoinNonce.from_hex("000001")


def _otaa_device() -> end_device_pb2.EndDevice:
    return end_device_pb2.EndDevice(
        ids=identifiers_pb2.EndDeviceIdentifiers(
            device_id="otaa-one",
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP),
            join_eui=JOIN_EUI.value,
            dev_eui=DEV_EUI.value,
        ),
        frequency_plan_id="EU_863_870",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
        supports_join=True,
    )


def _join_server_answer(request: join_pb2.JoinRequest) -> join_pb2.JoinResponse:
    """What a Join Server answers, built from the request with the lorawan library."""
    net_id = NetID(request.net_id)
    dev_nonce = DevNonce(request.payload.join_request_payload.dev_nonce)
    settings = DLSettings(request.downlink_settings.rx1_dr_offset, request.downlink_settings.rx2_dr)
    payload = JoinAcceptPayload(JOIN_NONCE, net_id, DevAddr(request.dev_addr), settings, request.rx_delay)
    phy = PHYPayload(MHDR(MType.JOIN_ACCEPT), payload, b"\0" * 4)
    plain = phy.encode_without_mic()
    mic = join_accept_mic_1_0(APP_KEY, plain)
    raw = plain[:1] + encrypt_join_accept(APP_KEY, plain[1:] + mic)
    nwk_s_key = derive_nwk_s_key_1_0(APP_KEY, JOIN_NONCE, net_id, dev_nonce)
    app_s_key = derive_app_s_key_1_0(APP_KEY, JOIN_NONCE, net_id, dev_nonce)
    return join_pb2.JoinResponse(
        raw_payload=raw,
        session_keys=keys_pb2.SessionKeys(
            session_key_id=b"session-1",
            f_nwk_s_int_key=keys_pb2.KeyEnvelope(key=nwk_s_key.value),
            app_s_key=keys_pb2.KeyEnvelope(key=app_s_key.value),
        ),
    )


def _join_request(dev_nonce: int) -> bytes:
    payload = JoinRequestPayload(JOIN_EUI, DEV_EUI, DevNonce.from_int(dev_nonce))
    plain = PHYPayload(MHDR(MType.JOIN_REQUEST), payload, b"\0" * 4).encode_without_mic()
    return plain + join_request_mic(APP_KEY, plain)


async def test_join_then_first_uplink(cluster: Cluster) -> None:
    cluster.peers.join.answer = _join_server_answer
    async with cluster.channel() as channel:
        registry = networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)
        paths = ["frequency_plan_id", "lorawan_version", "lorawan_phy_version", "supports_join"]
        request = end_device_pb2.SetEndDeviceRequest(
            end_device=_otaa_device(), field_mask=field_mask_pb2.FieldMask(paths=paths)
        )
        await registry.Set(request, metadata=USER_MD)
    await _send(cluster, uplink_message(_join_request(7), ("gw-1", "gw-2")))
    await asyncio.sleep(0.5)
    (forwarded,) = cluster.peers.join.requests
    assert forwarded.selected_mac_version == lorawan_pb2.MAC_V1_0_3
    assert forwarded.net_id == bytes.fromhex("000013")
    # EU868: the plan's five channels beyond the band's three go in the join-accept's CFList.
    assert list(forwarded.cf_list.freq) == [8_671_000, 8_673_000, 8_675_000, 8_677_000, 8_679_000]
    dev_addr = forwarded.dev_addr
    assert dev_addr[0] >> 1 == 0x13
    (scheduled,) = cluster.peers.gateway.requests
    assert scheduled.raw_payload == _join_server_answer(forwarded).raw_payload
    assert scheduled.request.rx1_delay == 5
    assert scheduled.request.rx1_frequency == 868_100_000
    assert decode_phy_payload(scheduled.raw_payload).mhdr.mtype == MType.JOIN_ACCEPT
    (joined,) = await _link_read(cluster, 1)
    assert joined.join_accept.session_key_id == b"session-1"
    assert joined.join_accept.app_s_key.key  # the AS gets the AppSKey handed over by the JS

    nwk_s_key = _join_server_answer(forwarded).session_keys.f_nwk_s_int_key.key
    frame = data_uplink(dev_addr.hex().upper(), 0, key=nwk_s_key, payload=b"first")
    await _send(cluster, uplink_message(frame))
    await asyncio.sleep(0.4)
    (first,) = await _link_read(cluster, 1)
    assert first.uplink_message.frm_payload == b"first"
    assert first.end_device_ids.device_id == "otaa-one"
    async with cluster.channel() as channel:
        device = await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Get(
            end_device_pb2.GetEndDeviceRequest(
                end_device_ids=_otaa_device().ids,
                field_mask=field_mask_pb2.FieldMask(paths=["session", "pending_session"]),
            ),
            metadata=USER_MD,
        )
    assert device.session.dev_addr == dev_addr
    assert not device.HasField("pending_session")
    assert not device.session.keys.app_s_key.key  # the NS never keeps the AppSKey


async def test_join_accept_is_sent_by_the_replica_that_takes_the_task() -> None:
    async with fake_peers() as peers:
        peers.join.answer = _join_server_answer
        tag = new_tag()
        # The first replica handles uplinks but works on no downlink tasks.
        configs = [ns_config(tag, peers.address, ns_downlink_concurrency=0), ns_config(tag, peers.address)]
        async with (
            running_ns(configs) as (uplinks_only, _),
            grpc.aio.insecure_channel(f"127.0.0.1:{uplinks_only.grpc_port}") as channel,
        ):
            registry = networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)
            paths = ["frequency_plan_id", "lorawan_version", "lorawan_phy_version", "supports_join"]
            await registry.Set(
                end_device_pb2.SetEndDeviceRequest(
                    end_device=_otaa_device(), field_mask=field_mask_pb2.FieldMask(paths=paths)
                ),
                metadata=USER_MD,
            )
            (message,) = uplink_message(_join_request(9))
            await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(message, metadata=CLUSTER_MD)
            (scheduled,) = await peers.gateway.wait_for_requests()
            (forwarded,) = peers.join.requests
            assert scheduled.raw_payload == _join_server_answer(forwarded).raw_payload
            assert scheduled.request.priority == lorawan_pb2.HIGHEST
            assert (scheduled.request.rx1_delay, scheduled.request.rx1_frequency) == (5, 868_100_000)
            assert scheduled.request.rx1_data_rate.lora.spreading_factor == 7  # the request's, offset 0
            await asyncio.sleep(0.2)
            stored = await registry.Get(
                end_device_pb2.GetEndDeviceRequest(
                    end_device_ids=_otaa_device().ids,
                    field_mask=field_mask_pb2.FieldMask(paths=["pending_mac_state"]),
                ),
                metadata=USER_MD,
            )
    # Sent once: the accept is off the pending state, which keeps the request until the first uplink.
    assert not stored.pending_mac_state.HasField("queued_join_accept")
    assert not stored.pending_mac_state.rx_windows_available
    (request,) = stored.pending_mac_state.recent_uplinks
    assert request.payload.m_hdr.m_type == lorawan_pb2.JOIN_REQUEST


def _downlink(f_cnt: int, payload: bytes = b"\x01", f_port: int = 2) -> messages_pb2.ApplicationDownlink:
    return messages_pb2.ApplicationDownlink(
        session_key_id=b"abp-session", f_port=f_port, f_cnt=f_cnt, frm_payload=payload, correlation_ids=["as:1"]
    )


async def _queue(cluster: Cluster, *downlinks: messages_pb2.ApplicationDownlink, replace: bool = False) -> None:
    async with cluster.channel() as channel:
        stub = networkserver_pb2_grpc.AsNsStub(channel)
        request = messages_pb2.DownlinkQueueRequest(end_device_ids=_abp_ids(), downlinks=downlinks)
        call = stub.DownlinkQueueReplace if replace else stub.DownlinkQueuePush
        await call(request, metadata=CLUSTER_MD)


def _abp_ids() -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev-one", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP)
    )


async def _set_session_key_id(cluster: Cluster) -> None:
    async with cluster.channel() as channel:
        registry = networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)
        device = end_device_pb2.EndDevice(ids=_abp_ids())
        device.session.keys.session_key_id = b"abp-session"
        device.session.dev_addr = bytes.fromhex(DEV_ADDR)
        device.session.keys.f_nwk_s_int_key.key = NWK_S_KEY
        request = end_device_pb2.SetEndDeviceRequest(
            end_device=device, field_mask=field_mask_pb2.FieldMask(paths=["session.keys"])
        )
        await registry.Set(request, metadata=USER_MD)


@pytest.mark.parametrize(
    ("downlink", "needle"),
    [
        (_downlink(1, f_port=0), "FPort 0"),
        (_downlink(1, payload=bytes(60)), "exceeds 51 bytes"),
        (messages_pb2.ApplicationDownlink(session_key_id=b"other", f_port=1, f_cnt=1), "session_key_id"),
    ],
)
async def test_queue_validation(cluster: Cluster, downlink: messages_pb2.ApplicationDownlink, needle: str) -> None:
    await _set_session_key_id(cluster)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await _queue(cluster, downlink)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in (info.value.details() or "")


async def test_queue_push_list_replace_and_delivery(cluster: Cluster) -> None:
    await _set_session_key_id(cluster)
    await _queue(cluster, _downlink(1), _downlink(2))
    with pytest.raises(grpc.aio.AioRpcError):
        await _queue(cluster, _downlink(2))  # counters must ascend
    await _queue(cluster, _downlink(5, b"\x05"), replace=True)
    async with cluster.channel() as channel:
        listed = await networkserver_pb2_grpc.AsNsStub(channel).DownlinkQueueList(_abp_ids(), metadata=CLUSTER_MD)
    assert [d.f_cnt for d in listed.downlinks] == [5]
    await _send(cluster, uplink_message(data_uplink(DEV_ADDR, 1)), spread=False)
    await asyncio.sleep(0.5)
    sent = cluster.peers.gateway.requests[-1]
    phy = decode_phy_payload(sent.raw_payload)
    assert phy.payload.f_port == 2  # type: ignore[union-attr]
    assert phy.payload.fhdr.f_cnt == 5  # type: ignore[union-attr]
    device = await _device(cluster)
    assert not device.session.queued_application_downlinks
    assert device.session.last_n_f_cnt_down == 5
    kinds = [up.WhichOneof("up") for up in await _link_read(cluster, 5)]
    assert kinds == ["downlink_queued", "downlink_queued", "downlink_queued", "uplink_message", "downlink_sent"]
