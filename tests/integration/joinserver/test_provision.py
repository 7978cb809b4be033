"""JsEndDeviceRegistry.Provision over gRPC and REST (NDJSON stream) against real Redis and NATS, with a
fake Identity Server answering ApplicationAccess.ListRights."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import pytest

from integration.joinserver.jsharness import RunningJS, StartJS, make_device, recent_events
from ttn.lorawan.v3 import (
    application_services_pb2_grpc,
    end_device_pb2,
    identifiers_pb2,
    joinserver_pb2,
    joinserver_pb2_grpc,
    rights_pb2,
)

H = bytes.fromhex
R = rights_pb2
JOIN_EUI = H("70B3D57ED0000001")
TOKENS = {
    "keys": [R.RIGHT_APPLICATION_DEVICES_READ, R.RIGHT_APPLICATION_DEVICES_WRITE_KEYS],
    "writer": [R.RIGHT_APPLICATION_DEVICES_READ, R.RIGHT_APPLICATION_DEVICES_WRITE],
}
Request = joinserver_pb2.ProvisionEndDevicesRequest


class FakeApplicationAccess(application_services_pb2_grpc.ApplicationAccessServicer):
    """Fixed rights per bearer token, for application ``app-1`` only."""

    async def ListRights(self, request: identifiers_pb2.ApplicationIdentifiers, context: Any) -> rights_pb2.Rights:
        token = dict(context.invocation_metadata()).get("authorization", "").removeprefix("Bearer ")
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


def _data(*entries: dict[str, Any]) -> bytes:
    return json.dumps(list(entries)).encode()


def _request(data: bytes, **form: Any) -> joinserver_pb2.ProvisionEndDevicesRequest:
    request = Request(provisioner_id="json", provisioning_data=data, **form)
    request.application_ids.application_id = "app-1"
    return request


async def _provision(js: RunningJS, request: Request, token: str = "keys") -> list[end_device_pb2.EndDevice]:
    stub = joinserver_pb2_grpc.JsEndDeviceRegistryStub(js.channel)
    return [device async for device in stub.Provision(request, metadata=_as(token))]


async def _refused(js: RunningJS, request: Request, token: str = "keys") -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _provision(js, request, token)
    return caught.value


async def test_grpc_from_data_creates_streams_and_announces_each_device(js: RunningJS) -> None:
    data = _data(
        {"dev_eui": "0004A30B001C0530", "device_id": "meter-1", "batch": "b7"},
        {"dev_eui": "0004A30B001C0531"},
    )
    devices = await _provision(js, _request(data, from_data=Request.IdentifiersFromData(join_eui=JOIN_EUI)))
    assert [d.ids.device_id for d in devices] == ["meter-1", "eui-0004a30b001c0531"]
    stored = await js.registry.get("app-1", "meter-1")
    assert stored is not None
    assert stored.ids.join_eui == JOIN_EUI and stored.ids.dev_eui == H("0004A30B001C0530")
    assert stored.provisioner_id == "json"
    assert stored.provisioning_data.fields["batch"].string_value == "b7"
    assert not stored.HasField("root_keys")
    assert (await js.registry.get_by_eui(JOIN_EUI, H("0004A30B001C0531"))) is not None
    created = [e for e in await recent_events(js, 0) if e.name == "js.end_device.create"]
    assert sorted(e.identifiers[0].device_ids.device_id for e in created) == ["eui-0004a30b001c0531", "meter-1"]


async def test_grpc_list_and_range_forms(js: RunningJS) -> None:
    listed = Request.IdentifiersList(
        join_eui=JOIN_EUI,
        end_device_ids=[
            identifiers_pb2.EndDeviceIdentifiers(device_id="dev-a", dev_eui=H("0000000000000001")),
            identifiers_pb2.EndDeviceIdentifiers(device_id="dev-b", dev_eui=H("0000000000000002")),
        ],
    )
    devices = await _provision(js, _request(_data({"serial": "a"}, {"serial": "b"}), list=listed))
    assert [(d.ids.device_id, d.provisioning_data.fields["serial"].string_value) for d in devices] == [
        ("dev-a", "a"),
        ("dev-b", "b"),
    ]
    span = Request.IdentifiersRange(join_eui=JOIN_EUI, start_dev_eui=H("00000000000000FF"))
    devices = await _provision(js, _request(_data({"unique_id": "se-1"}, {"unique_id": "se-2"}), range=span))
    assert [d.ids.dev_eui.hex().upper() for d in devices] == ["00000000000000FF", "0000000000000100"]
    assert await js.registry.get("app-1", "eui-0000000000000100") is not None


async def test_refusals_have_their_codes_and_store_nothing(js: RunningJS) -> None:
    from_data = Request.IdentifiersFromData(join_eui=JOIN_EUI)
    good = _data({"dev_eui": "0000000000000001"})
    before = await js.snapshot()
    cases: list[tuple[Request, str, grpc.StatusCode, str]] = [
        (_request(good, from_data=from_data), "writer", grpc.StatusCode.PERMISSION_DENIED, ""),
        (
            Request(provisioner_id="microchip", provisioning_data=good, from_data=from_data),
            "keys",
            grpc.StatusCode.FAILED_PRECONDITION,
            "provisioner_not_found",
        ),
        (
            _request(good, list=Request.IdentifiersList(join_eui=JOIN_EUI)),
            "keys",
            grpc.StatusCode.INVALID_ARGUMENT,
            "provision_entry_count",
        ),
    ]
    cases[1][0].application_ids.application_id = "app-1"
    for request, token, code, name in cases:
        err = await _refused(js, request, token)
        assert err.code() == code
        assert name in (err.details() or "")
    assert await js.snapshot() == before


async def test_one_bad_entry_stores_none_of_the_batch(js: RunningJS) -> None:
    from_data = Request.IdentifiersFromData(join_eui=JOIN_EUI)
    before = await js.snapshot()
    data = _data({"dev_eui": "0000000000000001"}, {"dev_eui": "0000000000000002"}, {"dev_eui": "not-hex"})
    err = await _refused(js, _request(data, from_data=from_data))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid_provisioning_entry" in (err.details() or "")
    assert await js.snapshot() == before


async def test_a_batch_that_meets_a_registered_device_stores_nothing(js: RunningJS) -> None:
    await js.put_device(make_device("app-1", "taken", JOIN_EUI.hex(), "0000000000000002"))
    await js.put_device(make_device("app-1", "eui-0000000000000009", "01" * 8, "0000000000000008"))
    before = await js.snapshot()
    from_data = Request.IdentifiersFromData(join_eui=JOIN_EUI)
    for data, code in (
        (_data({"dev_eui": "0000000000000001"}, {"dev_eui": "0000000000000002"}), grpc.StatusCode.ALREADY_EXISTS),
        (_data({"dev_eui": "0000000000000003"}, {"dev_eui": "0000000000000009"}), grpc.StatusCode.ALREADY_EXISTS),
    ):
        err = await _refused(js, _request(data, from_data=from_data))
        assert err.code() == code
        assert await js.snapshot() == before
    assert await js.registry.get("app-1", "eui-0000000000000001") is None


async def test_rest_streams_ndjson_and_maps_errors(js: RunningJS) -> None:
    url = f"http://127.0.0.1:{js.component.http_port}/api/v3/js/applications/app-1/provision-devices"
    body = {
        "provisioner_id": "json",
        "provisioning_data": base64.b64encode(
            _data({"dev_eui": "0004A30B001C0540"}, {"dev_eui": "0004A30B001C0541"})
        ).decode(),
        "from_data": {"join_eui": JOIN_EUI.hex().upper()},
    }
    headers = {"Authorization": "Bearer keys"}
    async with aiohttp.ClientSession() as http:
        async with http.put(url, json=body, headers=headers) as resp:
            assert resp.status == 200
            lines = [json.loads(line) for line in (await resp.text()).splitlines() if line]
        assert [line["result"]["ids"]["dev_eui"] for line in lines] == ["0004A30B001C0540", "0004A30B001C0541"]
        assert lines[0]["result"]["ids"]["device_id"] == "eui-0004a30b001c0540"
        assert lines[0]["result"]["provisioner_id"] == "json"
        # The same batch again: nothing half-created, a 409 before any line.
        before = await js.snapshot()
        async with http.put(url, json=body, headers=headers) as resp:
            assert resp.status == 409
        async with http.put(url, json={**body, "provisioner_id": "nope"}, headers=headers) as resp:
            assert resp.status == 400
            assert "provisioner_not_found" in json.dumps(await resp.json())
        async with http.put(url, json=body, headers={"Authorization": "Bearer writer"}) as resp:
            assert resp.status == 403
        assert await js.snapshot() == before
