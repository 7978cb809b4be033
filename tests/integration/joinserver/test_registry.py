"""JsEndDeviceRegistry over gRPC and REST, with a fake Identity Server answering ApplicationAccess.ListRights."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import pytest
from google.protobuf import field_mask_pb2

from integration.joinserver.jsharness import RunningJS, StartJS
from lorastack.lorawan.crypto import join_request_mic
from lorastack.lorawan.keys import AES128Key
from ttn.lorawan.v3 import (
    application_services_pb2_grpc,
    end_device_pb2,
    identifiers_pb2,
    join_pb2,
    joinserver_pb2_grpc,
    lorawan_pb2,
    rights_pb2,
)

APP_KEY = "0102030405060708090A0B0C0D0E0F10"
R = rights_pb2
TOKENS = {
    "admin": [R.RIGHT_APPLICATION_ALL],
    "reader": [R.RIGHT_APPLICATION_DEVICES_READ],
    "writer": [R.RIGHT_APPLICATION_DEVICES_READ, R.RIGHT_APPLICATION_DEVICES_WRITE],
}


class FakeApplicationAccess(application_services_pb2_grpc.ApplicationAccessServicer):
    """Fixed rights per bearer token, for application ``app-1`` only."""

    async def ListRights(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> rights_pb2.Rights:
        auth = dict(context.invocation_metadata()).get("authorization", "")
        token = auth.removeprefix("Bearer ")
        if request.application_id != "app-1":
            return rights_pb2.Rights()
        return rights_pb2.Rights(rights=TOKENS.get(token, []))


@pytest.fixture
async def js(start_js: StartJS) -> AsyncIterator[RunningJS]:
    server = grpc.aio.server()
    application_services_pb2_grpc.add_ApplicationAccessServicer_to_server(FakeApplicationAccess(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield await start_js(peers_is=f"127.0.0.1:{port}")
    await server.stop(0)


def _as(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _device(dev_id: str, join_eui: str, dev_eui: str) -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice()
    device.ids.application_ids.application_id = "app-1"
    device.ids.device_id = dev_id
    device.ids.join_eui = bytes.fromhex(join_eui)
    device.ids.dev_eui = bytes.fromhex(dev_eui)
    return device


def _ids(dev_id: str) -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-1")
    )


async def test_grpc_set_get_delete_with_rights(js: RunningJS) -> None:
    stub = joinserver_pb2_grpc.JsEndDeviceRegistryStub(js.channel)
    device = _device("dev-1", "01" * 8, "02" * 8)
    device.root_keys.app_key.key = bytes.fromhex(APP_KEY)
    device.network_server_address = "ns.example:1884"
    mask = field_mask_pb2.FieldMask(paths=["root_keys.app_key.key", "network_server_address"])
    answer = await stub.Set(
        end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=mask), metadata=_as("admin")
    )
    assert answer.root_keys.app_key.key == bytes.fromhex(APP_KEY)
    assert answer.network_server_address == "ns.example:1884"
    raw = await js.redis.get(f"{js.config.redis_prefix}:dev:app-1:dev-1")
    assert raw is not None and bytes.fromhex(APP_KEY) not in raw

    get = end_device_pb2.GetEndDeviceRequest(
        end_device_ids=_ids("dev-1"), field_mask=field_mask_pb2.FieldMask(paths=["network_server_address"])
    )
    read = await stub.Get(get, metadata=_as("reader"))
    assert read.network_server_address == "ns.example:1884"
    assert not read.HasField("root_keys")
    assert read.ids.dev_eui == bytes.fromhex("02" * 8)

    get.field_mask.paths.append("root_keys")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Get(get, metadata=_as("reader"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    keys = await stub.Get(get, metadata=_as("admin"))
    assert keys.root_keys.app_key.key == bytes.fromhex(APP_KEY)

    update = end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask=mask)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Set(update, metadata=_as("writer"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    device.resets_join_nonces = True
    written = await stub.Set(
        end_device_pb2.SetEndDeviceRequest(
            end_device=device, field_mask=field_mask_pb2.FieldMask(paths=["resets_join_nonces"])
        ),
        metadata=_as("writer"),
    )
    assert written.resets_join_nonces and not written.HasField("root_keys")

    other = _device("dev-2", "01" * 8, "02" * 8)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Set(end_device_pb2.SetEndDeviceRequest(end_device=other), metadata=_as("admin"))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Delete(_ids("dev-1"), metadata=_as("reader"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await stub.Delete(_ids("dev-1"), metadata=_as("writer"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Get(get, metadata=_as("admin"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    # The EUIs are free again.
    await stub.Set(end_device_pb2.SetEndDeviceRequest(end_device=other), metadata=_as("admin"))


async def test_rest_registration_then_join(js: RunningJS) -> None:
    base = f"http://127.0.0.1:{js.component.http_port}/api/v3/js/applications/app-1/devices"
    admin = {"Authorization": "Bearer admin"}
    body = {
        "end_device": {
            "ids": {
                "device_id": "dev-3",
                "application_ids": {"application_id": "app-1"},
                "join_eui": "0101010101010101",
                "dev_eui": "0303030303030303",
            },
            "root_keys": {"app_key": {"key": APP_KEY}},
        },
        "field_mask": {"paths": ["root_keys.app_key.key"]},
    }
    async with aiohttp.ClientSession() as http:
        async with http.put(f"{base}/dev-3", json=body, headers=admin) as resp:
            assert resp.status == 200, await resp.text()
            created = await resp.json()
        assert created["root_keys"]["app_key"]["key"] == APP_KEY
        async with http.get(
            f"{base}/dev-3?field_mask=root_keys.app_key", headers={"Authorization": "Bearer reader"}
        ) as resp:
            assert resp.status == 403
        async with http.get(f"{base}/dev-3?field_mask=root_keys.app_key", headers=admin) as resp:
            assert resp.status == 200
            assert (await resp.json())["root_keys"]["app_key"]["key"] == APP_KEY

        signed = b"\x00" + b"\x01" * 8 + b"\x03" * 8 + b"\x07\x00"
        raw = signed + join_request_mic(AES128Key(bytes.fromhex(APP_KEY)), signed)
        req = join_pb2.JoinRequest(
            raw_payload=raw,
            selected_mac_version=lorawan_pb2.MAC_V1_0_3,
            net_id=b"\x00\x00\x13",
            dev_addr=b"\x26\x01\x02\x03",
        )
        response = await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(req, metadata=js.cluster_metadata)
        assert len(response.raw_payload) == 17

        async with http.delete(f"{base}/dev-3", headers=admin) as resp:
            assert resp.status == 200
        async with http.get(f"{base}/dev-3", headers=admin) as resp:
            assert resp.status == 404
