"""NetworkCryptoService and ApplicationCryptoService over gRPC; session keys from brocaar/lorawan
``backend/joinserver/joinserver_test.go`` (1.1, NwkKey 0102..08 twice, AppKey zero, JoinNonce 65536, DevNonce 258)."""

from __future__ import annotations

import grpc
import pytest

from integration.joinserver.jsharness import StartJS, make_device
from ttn.lorawan.v3 import identifiers_pb2, joinserver_pb2, joinserver_pb2_grpc, lorawan_pb2

H = bytes.fromhex


async def test_derive_and_root_keys(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1",
        "dev-1",
        "0807060504030201",
        "0102030405060708",
        app_key="00" * 16,
        nwk_key="01020304050607080102030405060708",
        network_server_kek_label="ns-kek",
    )
    await js.put_device(device)
    ids = identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev-1", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-1")
    )
    req = joinserver_pb2.DeriveSessionKeysRequest(
        ids=ids, lorawan_version=lorawan_pb2.MAC_V1_1, join_nonce=H("010000"), dev_nonce=H("0102"), net_id=H("010203")
    )
    nwk = await joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel).DeriveNwkSKeys(
        req, metadata=js.cluster_metadata
    )
    assert nwk.f_nwk_s_int_key.encrypted_key == H("5755E6C3241EE7E6646F0FFE87787A002CF9E4B083498F00")
    app = await joinserver_pb2_grpc.ApplicationCryptoServiceStub(js.channel).DeriveAppSKey(
        req, metadata=js.cluster_metadata
    )
    assert app.app_s_key.key == H("01621215D1CA08FEBF0C602CC2AD90FA")
    root = await joinserver_pb2_grpc.ApplicationCryptoServiceStub(js.channel).GetAppKey(
        joinserver_pb2.GetRootKeysRequest(ids=ids), metadata=js.cluster_metadata
    )
    assert root.key == bytes(16)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel).GetNwkKey(
            joinserver_pb2.GetRootKeysRequest(ids=ids), metadata=(("authorization", "Bearer x"),)
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
