"""Tests of the OpenAPI document and the API console served by the gateway."""

from __future__ import annotations

import json
import re

from unit.httpapi.harness import Harness


async def test_openapi_document(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/openapi.json")) as r:
        assert r.status == 200
        doc = json.loads(await r.text())
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    paths = doc["paths"]
    device_path = (
        "/api/v3/applications/{end_device_ids.application_ids.application_id}/devices/{end_device_ids.device_id}"
    )
    get = paths[device_path]["get"]
    assert get["operationId"] == "DeviceRegistry_Get"
    assert [p["name"] for p in get["parameters"] if p["in"] == "path"] == [
        "end_device_ids.application_ids.application_id",
        "end_device_ids.device_id",
    ]
    query = {p["name"]: p for p in get["parameters"] if p["in"] == "query"}
    assert "field_mask" in query and "end_device_ids.dev_eui" in query
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/lorastack.test.v1.Device"
    }
    assert paths["/api/v3/devices/by-eui/{end_device_ids.dev_eui}"]["get"]["operationId"] == "DeviceRegistry_Get1"
    set_path = "/api/v3/applications/{end_device.ids.application_ids.application_id}/devices/{end_device.ids.device_id}"
    put = paths[set_path]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SetDeviceRequest")
    assert "/api/v3/resources/{name}:activate" in paths
    stream = paths["/api/v3/applications/{application_ids.application_id}/events"]["post"]
    assert "stream" in stream["responses"]["200"]["description"]
    device = doc["components"]["schemas"]["lorastack.test.v1.Device"]["properties"]
    assert device["created_at"] == {"type": "string", "format": "date-time"}
    assert device["counter"]["type"] == "string"
    assert device["color"]["enum"] == ["COLOR_UNKNOWN", "RED", "GREEN"]
    assert device["payload"]["format"] == "byte"
    assert device["attributes"]["type"] == "object"
    ids = doc["components"]["schemas"]["lorastack.test.v1.DeviceIds"]["properties"]
    assert ids["dev_eui"]["format"] == "hex"
    operation_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert not any("Hidden" in o for o in operation_ids)


async def test_console_is_local(harness: Harness) -> None:
    for path in ("/api", "/api/"):
        async with harness.session.get(harness.url(path)) as r:
            assert r.status == 200
            assert r.content_type == "text/html"
            page = await r.text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/api/") for s in sources), sources
    for asset in ("/api/console/console.js", "/api/console/console.css"):
        async with harness.session.get(harness.url(asset)) as r:
            assert r.status == 200
            text = await r.text()
            assert "http://" not in text and "https://" not in text
    async with harness.session.get(harness.url("/api/console/console.js")) as r:
        script = await r.text()
    assert "sessionStorage" in script and "/api/v3/openapi.json" in script
