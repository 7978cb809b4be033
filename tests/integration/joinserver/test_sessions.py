"""Session keys after a join: only the declared NS may fetch network keys and only the AS the AppSKey
(over gRPC), and the stored keys expire in Redis a configured time after their last use."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from integration.joinserver.jsharness import CLUSTER_KEY, RunningJS, StartJS, make_device, signed_join_request
from ttn.lorawan.v3 import join_pb2, joinserver_pb2, joinserver_pb2_grpc, lorawan_pb2

H = bytes.fromhex
APP_KEY = H("0102030405060708090A0B0C0D0E0F10")
JOIN_EUI = H("0101010101010101")
DEV_EUI = H("0202020202020202")


async def _joined(js: RunningJS) -> joinserver_pb2.SessionKeyRequest:
    await js.put_device(make_device("app-1", "dev-1", JOIN_EUI.hex(), DEV_EUI.hex(), app_key=APP_KEY.hex()))
    req = join_pb2.JoinRequest(
        raw_payload=signed_join_request(APP_KEY, JOIN_EUI, DEV_EUI, 7),
        selected_mac_version=lorawan_pb2.MAC_V1_0_3,
        net_id=H("000013"),
        dev_addr=H("26011234"),
    )
    response = await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(req, metadata=js.cluster_metadata)
    return joinserver_pb2.SessionKeyRequest(session_key_id=response.session_keys.session_key_id, dev_eui=DEV_EUI)


def _session_redis_key(js: RunningJS, request: joinserver_pb2.SessionKeyRequest) -> str:
    return f"{js.config.redis_prefix}:skey:{DEV_EUI.hex().upper()}:{request.session_key_id.hex().upper()}"


@pytest.mark.parametrize(
    ("metadata_role", "method"),
    [("as", "GetNwkSKeys"), ("gs", "GetNwkSKeys"), (None, "GetNwkSKeys"), ("ns", "GetAppSKey"), (None, "GetAppSKey")],
)
async def test_session_keys_go_only_to_the_declared_role(
    start_js: StartJS, metadata_role: str | None, method: str
) -> None:
    js = await start_js()
    request = await _joined(js)
    if metadata_role is None:
        metadata: tuple[tuple[str, str], ...] = (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"),)
    else:
        metadata = js.peer_metadata(metadata_role)
    stub = (
        joinserver_pb2_grpc.NsJsStub(js.channel)
        if method == "GetNwkSKeys"
        else joinserver_pb2_grpc.AsJsStub(js.channel)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(stub, method)(request, metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "pkg/joinserver:peer_role_denied" in (caught.value.details() or "")


async def test_a_role_header_without_the_cluster_key_is_not_believed(start_js: StartJS) -> None:
    js = await start_js()
    request = await _joined(js)
    metadata = (("authorization", "ClusterKey " + "ff" * 16), ("x-lorastack-peer-role", "as"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("metadata_role", ["as", "gs", "js", None])
async def test_only_the_network_server_may_hand_over_a_join_request(
    start_js: StartJS, metadata_role: str | None
) -> None:
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-1", JOIN_EUI.hex(), DEV_EUI.hex(), app_key=APP_KEY.hex()))
    if metadata_role is None:
        metadata: tuple[tuple[str, str], ...] = (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"),)
    else:
        metadata = js.peer_metadata(metadata_role)
    before = await js.snapshot()
    req = join_pb2.JoinRequest(
        raw_payload=signed_join_request(APP_KEY, JOIN_EUI, DEV_EUI, 7),
        selected_mac_version=lorawan_pb2.MAC_V1_0_3,
        net_id=H("000013"),
        dev_addr=H("26011234"),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(req, metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "pkg/joinserver:peer_role_denied" in (caught.value.details() or "")
    # Refused before the DevNonce was consumed: the device's record is untouched.
    assert await js.snapshot() == before


async def test_session_keys_live_for_the_configured_time_after_their_last_use(start_js: StartJS) -> None:
    js = await start_js(js_session_key_ttl_seconds=600)
    request = await _joined(js)
    key = _session_redis_key(js, request)
    assert 590 <= await js.redis.ttl(key) <= 600
    # Time passes; a fetch by the AS restarts the lifetime.
    await js.redis.expire(key, 5)
    await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    assert await js.redis.ttl(key) > 590
    await js.redis.expire(key, 5)
    await joinserver_pb2_grpc.NsJsStub(js.channel).GetNwkSKeys(request, metadata=js.peer_metadata("ns"))
    assert await js.redis.ttl(key) > 590


async def test_expired_session_keys_are_gone_and_pruned_from_the_device(start_js: StartJS) -> None:
    js = await start_js(js_session_key_ttl_seconds=1)
    request = await _joined(js)
    await asyncio.sleep(1.6)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    # The next join drops the expired entry from the device's set of sessions.
    await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(
        join_pb2.JoinRequest(
            raw_payload=signed_join_request(APP_KEY, JOIN_EUI, DEV_EUI, 8),
            selected_mac_version=lorawan_pb2.MAC_V1_0_3,
            net_id=H("000013"),
            dev_addr=H("26011234"),
        ),
        metadata=js.cluster_metadata,
    )
    members = await js.redis.smembers(f"{js.config.redis_prefix}:skeys:app-1:dev-1")
    assert len(members) == 1
    assert _session_redis_key(js, request).encode() not in members
