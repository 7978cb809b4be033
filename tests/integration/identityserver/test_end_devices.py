"""EndDeviceRegistry of the IS over REST and gRPC: seed 001's fields, masks, pagination, EUIs, rights."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from integration.identityserver.harness import Server
from integration.identityserver.helpers import app_ids, app_key, create_app
from ttn.lorawan.v3 import end_device_pb2, end_device_services_pb2_grpc, identifiers_pb2
from ttn.lorawan.v3 import rights_pb2 as r


def device(dev_id: str, dev_eui: str) -> dict[str, object]:
    return {
        "end_device": {
            "ids": {
                "device_id": dev_id,
                "application_ids": {"application_id": "app-d"},
                "dev_eui": dev_eui,
                "join_eui": "70B3D57ED0000000",
            },
            "name": f"device {dev_id}",
            "network_server_address": "ns.example.com",
            "join_server_address": "js.example.com",
            "version_ids": {"brand_id": "acme", "model_id": "m1"},
            "locations": {"user": {"latitude": 1.5, "longitude": 2.5}},
            "frequency_plan_id": "EU_863_870",
        }
    }


async def test_end_device_crud(server: Server) -> None:
    await create_app(server, "app-d")
    status, body, _ = await server.rest("POST", "/applications/app-d/devices", body=device("dev-1", "0004A30B001C0530"))
    assert status == 200, body
    assert body["ids"]["dev_eui"] == "0004A30B001C0530" and body["name"] == "device dev-1"
    assert "frequency_plan_id" not in body  # an NS field, not stored here
    assert body["locations"]["user"]["latitude"] == 1.5
    status, body, _ = await server.rest("POST", "/applications/app-d/devices", body=device("dev-1", "0004A30B001C0531"))
    assert status == 409
    status, body, _ = await server.rest("POST", "/applications/app-d/devices", body=device("dev-2", "0004A30B001C0530"))
    assert status == 409
    status, body, _ = await server.rest("POST", "/applications/app-d/devices", body=device("dev-2", "0004A3"))
    assert status == 400
    status, _, _ = await server.rest("POST", "/applications/app-d/devices", body=device("dev-2", "0004A30B001C0532"))
    assert status == 200

    status, body, _ = await server.rest("GET", "/applications/app-d/devices/dev-1?field_mask=name,version_ids")
    assert status == 200 and body["version_ids"]["brand_id"] == "acme" and "locations" not in body
    status, _, _ = await server.rest("GET", "/applications/app-d/devices/dev-1?field_mask=session")
    assert status == 400
    status, body, headers = await server.rest("GET", "/applications/app-d/devices?limit=1&page=2&field_mask=name")
    assert headers["X-Total-Count"] == "2" and [d["ids"]["device_id"] for d in body["end_devices"]] == ["dev-2"]

    stub = end_device_services_pb2_grpc.EndDeviceRegistryStub(server.channel)
    ids = identifiers_pb2.EndDeviceIdentifiers(device_id="dev-1", application_ids=app_ids("app-d"))
    updated = await stub.Update(
        end_device_pb2.UpdateEndDeviceRequest(
            end_device=end_device_pb2.EndDevice(ids=ids, description="updated"),
            field_mask=FieldMask(paths=["description"]),
        ),
        metadata=server.md(),
    )
    assert updated.description == "updated"
    reader = await app_key(server, "app-d", [r.RIGHT_APPLICATION_DEVICES_READ])
    got = await stub.Get(
        end_device_pb2.GetEndDeviceRequest(end_device_ids=ids, field_mask=FieldMask(paths=["description"])),
        metadata=server.md(reader),
    )
    assert got.description == "updated"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Delete(ids, metadata=server.md(reader))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    status, _, _ = await server.rest("DELETE", "/applications/app-d/devices/dev-1")
    assert status == 200
    status, _, _ = await server.rest("GET", "/applications/app-d/devices/dev-1")
    assert status == 404
    status, _, _ = await server.rest("POST", "/applications/nope/devices", body=device("dev-9", "0004A30B001C0539"))
    assert status == 404
