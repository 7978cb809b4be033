"""End-to-end tests of the REST gateway: aiohttp app -> grpc.aio channel -> real grpc.aio test server."""

from __future__ import annotations

import json
from typing import Any

from unit.httpapi.harness import Harness

_APP = "/api/v3/applications/app1"
_EXPIRY = "2030-01-01T00:00:00Z"
_JSON_TYPE = {"Content-Type": "application/json"}


async def _json(response: Any) -> Any:
    return json.loads(await response.text())


async def test_get_binds_nested_path_fields_and_query(harness: Harness) -> None:
    async with harness.session.get(harness.url(f"{_APP}/devices/dev1?field_mask=name,ids.dev_eui")) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        body = await _json(r)
    request = harness.last
    assert request.end_device_ids.application_ids.application_id == "app1"
    assert request.end_device_ids.device_id == "dev1"
    assert list(request.field_mask.paths) == ["name", "ids.dev_eui"]
    assert body == {
        "ids": {"device_id": "dev1", "application_ids": {"application_id": "app1"}},
        "name": "dev",
        "counter": "5",
    }


async def test_additional_binding_with_hex_path_value(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/devices/by-eui/70B3D57ED000ABCD")) as r:
        assert r.status == 200
        body = await _json(r)
    assert harness.last.end_device_ids.dev_eui == bytes.fromhex("70B3D57ED000ABCD")
    assert body["ids"]["dev_eui"] == "70B3D57ED000ABCD"


async def test_bad_path_value_is_400(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/fail/notanumber")) as r:
        assert r.status == 400
        body = await _json(r)
    assert body["code"] == 3
    assert "`code`" in body["message"]
    assert body["details"][0]["name"] == "invalid_path_value"
    assert body["details"][0]["namespace"] == "pkg/httpapi"


async def test_query_parameters_nested_repeated_and_typed(harness: Harness) -> None:
    query = (
        "limit=5&tags=a&tags=b,c&colors=RED&colors=2&filter.name_contains=x&filter.min_counter=7"
        "&updated_since=2024-01-02T03:04:05Z&deleted=true&cursor=AQI=&field_mask.paths=name&unknown=ignored"
    )
    async with harness.session.get(harness.url(f"{_APP}/devices?{query}")) as r:
        assert r.status == 200
        assert r.headers["X-Total-Count"] == "42"
        assert r.headers["Grpc-Metadata-x-other"] == "yes"
        body = await _json(r)
    request = harness.last
    assert request.application_ids.application_id == "app1"
    assert request.limit == 5
    assert list(request.tags) == ["a", "b", "c"]
    assert list(request.colors) == [1, 2]
    assert request.filter.name_contains == "x"
    assert request.filter.min_counter == 7
    assert request.updated_since.seconds == 1704164645
    assert request.deleted is True
    assert request.cursor == b"\x01\x02"
    assert list(request.field_mask.paths) == ["name"]
    assert body == {"devices": [{"name": "a"}, {"name": "b"}]}


async def test_bad_query_value_is_400(harness: Harness) -> None:
    async with harness.session.get(harness.url(f"{_APP}/devices?limit=-1")) as r:
        assert r.status == 400
        body = await _json(r)
    assert body["details"][0]["name"] == "invalid_query_parameter"
    assert body["details"][0]["attributes"]["name"] == "limit"


async def test_field_mask_validated_against_list_element(harness: Harness) -> None:
    async with harness.session.get(harness.url(f"{_APP}/devices?field_mask=ids.device_id,session.dev_addr")) as r:
        assert r.status == 200
    calls = len(harness.recorder.requests)
    async with harness.session.get(harness.url(f"{_APP}/devices?field_mask=name,nope.x")) as r:
        assert r.status == 400
        body = await _json(r)
    assert len(harness.recorder.requests) == calls, "no call is made for a bad field mask"
    assert body["code"] == 3
    assert "nope.x" in body["message"]
    assert body["details"][0]["name"] == "invalid_field_mask_path"
    assert body["details"][0]["attributes"] == {"path": "nope.x"}


async def test_field_mask_validated_against_response_entity(harness: Harness) -> None:
    async with harness.session.get(harness.url(f"{_APP}/devices/dev1?field_mask=devices")) as r:
        assert r.status == 400


async def test_body_star_with_path_override_and_json_types(harness: Harness) -> None:
    device = {
        "end_device": {
            "ids": {"device_id": "ignored", "dev_eui": "70b3d57ed000abcd", "join_eui": "cLPVftAAq80="},
            "name": "n",
            "created_at": "2024-01-02T03:04:05.250Z",
            "timeout": "1.500s",
            "color": "GREEN",
            "counter": "-9",
            "big": 18446744073709551615,
            "payload": "AQID",
            "tags": ["x"],
            "attributes": {"k": "v"},
            "extra": {"a": [1, "b", None], "c": {"d": True}},
            "session": {"dev_addr": "2600ABCD", "app_s_key": {"key": "00112233445566778899AABBCCDDEEFF"}},
            "enabled": False,
            "ratio": 0.5,
            "colors": ["RED", 2],
            "annotation": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "2s"},
            "mask": "a,b.c",
        },
        "field_mask": {"paths": ["name"]},
    }
    async with harness.session.put(harness.url(f"{_APP}/devices/dev1"), json=device) as r:
        assert r.status == 200, await r.text()
        body = await _json(r)
    request = harness.last
    assert request.end_device.ids.device_id == "dev1"
    assert request.end_device.ids.application_ids.application_id == "app1"
    assert request.end_device.ids.join_eui == bytes.fromhex("70B3D57ED000ABCD")
    expected = dict(device["end_device"])  # type: ignore[arg-type]
    expected.update(
        ids={
            "device_id": "dev1",
            "application_ids": {"application_id": "app1"},
            "dev_eui": "70B3D57ED000ABCD",
            "join_eui": "70B3D57ED000ABCD",
        },
        created_at="2024-01-02T03:04:05.250Z",
        big="18446744073709551615",
        colors=["RED", "GREEN"],
        mask={"paths": ["a", "b.c"]},
        annotation={"@type": "type.googleapis.com/google.protobuf.Duration", "value": "2s"},
    )
    assert body == expected


async def test_additional_binding_post_with_body(harness: Harness) -> None:
    payload = {"end_device": {"ids": {"device_id": "new"}}}
    async with harness.session.post(harness.url(f"{_APP}/devices"), json=payload) as r:
        assert r.status == 200
    assert harness.last.end_device.ids.device_id == "new"
    assert harness.last.end_device.ids.application_ids.application_id == "app1"


async def test_field_body_and_query_field_mask(harness: Harness) -> None:
    async with harness.session.patch(
        harness.url("/api/v3/devices/dev9?field_mask=name"), json={"name": "renamed"}
    ) as r:
        assert r.status == 200
    assert harness.last.end_device.name == "renamed"
    assert harness.last.end_device.ids.device_id == "dev9"
    assert list(harness.last.field_mask.paths) == ["name"]
    async with harness.session.post(
        harness.url(f"{_APP}/api-keys"),
        json={"name": "k", "rights": ["RIGHT_ALL"], "expires_at": "2030-01-01T00:00:00Z"},
    ) as r:
        assert r.status == 200
        assert await _json(r) == {"name": "k", "rights": ["RIGHT_ALL"], "expires_at": _EXPIRY}
    assert harness.last.application_ids.application_id == "app1"


async def test_malformed_json_names_the_problem(harness: Harness) -> None:
    async with harness.session.put(
        harness.url(f"{_APP}/devices/dev1"),
        data='{"end_device": {"name": "x",}}',
        headers={"Content-Type": "application/json"},
    ) as r:
        assert r.status == 400
        body = await _json(r)
    assert body["code"] == 3
    assert "line 1 column" in body["message"]
    assert body["details"][0]["name"] == "invalid_body"


async def test_unknown_and_mistyped_fields_are_400(harness: Harness) -> None:
    cases = [
        ({"end_device": {"nmae": "x"}}, "end_device.nmae"),
        ({"end_device": {"counter": "abc"}}, "end_device.counter"),
        ({"end_device": {"tags": "x"}}, "end_device.tags"),
        ({"end_device": {"color": "PURPLE"}}, "end_device.color"),
        ({"end_device": {"created_at": "yesterday"}}, "end_device.created_at"),
        ({"end_device": {"ids": {"dev_eui": "not bytes!"}}}, "end_device.ids.dev_eui"),
        ([1, 2], None),
    ]
    for payload, field in cases:
        async with harness.session.put(harness.url(f"{_APP}/devices/dev1"), json=payload) as r:
            assert r.status == 400, payload
            body = await _json(r)
        if field is not None:
            assert body["details"][0]["attributes"]["field"] == field


async def test_unknown_path_is_404_and_wrong_method_is_405(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/nothing/here")) as r:
        assert r.status == 404
        body = await _json(r)
    assert body["code"] == 5
    assert body["details"][0]["name"] == "route_not_found"
    async with harness.session.delete(harness.url(f"{_APP}/devices/dev1")) as r:
        assert r.status == 405
        assert set(r.headers["Allow"].split(", ")) == {"GET", "PUT"}
        body = await _json(r)
    assert body["details"][0]["name"] == "method_not_allowed"


async def test_no_channel_is_503_naming_the_service(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/unreachable/ping")) as r:
        assert r.status == 503
        body = await _json(r)
    assert body["code"] == 14
    assert "lorastack.test.v1.Unreachable" in body["message"]


async def test_grpc_errors_keep_status_and_details(harness: Harness) -> None:
    for code, status in ((16, 401), (7, 403), (5, 404), (6, 409), (14, 503)):
        async with harness.session.get(harness.url(f"/api/v3/fail/{code}")) as r:
            assert r.status == status
            body = await _json(r)
        assert body["code"] == code
        assert body["message"] == "error:pkg/test:device_not_found (device `dev1` not found)"
        assert body["details"] == [
            {
                "@type": "type.googleapis.com/lorastack.test.v1.ErrorDetails",
                "namespace": "pkg/test",
                "name": "device_not_found",
                "message_format": "device `{device_id}` not found",
                "attributes": {"device_id": "dev1"},
                "correlation_id": "abc123",
                "code": code,
            }
        ]


async def test_unknown_detail_type_is_base64(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/fail/7?unknown_detail=true")) as r:
        body = await _json(r)
    assert body["details"][1] == {"@type": "type.googleapis.com/nowhere.Thing", "value": "CAE="}


async def test_gateway_errors_without_details_type(harness_without_details: Harness) -> None:
    h = harness_without_details
    async with h.session.get(h.url("/api/v3/nothing")) as r:
        assert r.status == 404
        assert (await _json(r))["details"] == []


async def test_auth_and_metadata_headers(harness: Harness) -> None:
    headers = {
        "Authorization": "Bearer NNSXS.ABC.DEF",
        "Grpc-Metadata-X-Custom": "v1",
        "X-Request-Id": "req-1",
        "X-Forwarded-For": "10.0.0.1",
    }
    async with harness.session.get(harness.url("/api/v3/echo"), headers=headers) as r:
        metadata = (await _json(r))["metadata"]
    assert metadata["authorization"] == "Bearer NNSXS.ABC.DEF"
    assert metadata["x-custom"] == "v1"
    assert metadata["x-request-id"] == "req-1"
    assert metadata["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    async with harness.session.get(
        harness.url("/api/v3/echo"), headers={"Grpc-Metadata-Authorization": "Bearer other"}
    ) as r:
        metadata = (await _json(r))["metadata"]
    assert metadata["authorization"] == "Bearer other"
    assert metadata["x-forwarded-for"] == "127.0.0.1"


async def test_sub_template_variable_and_verb(harness: Harness) -> None:
    async with harness.session.get(harness.url("/api/v3/resources/things/t1")) as r:
        assert await _json(r) == {"name": "things/t1", "state": "got"}
    async with harness.session.post(harness.url("/api/v3/resources/things/t1:activate")) as r:
        assert await _json(r) == {"name": "things/t1", "state": "active"}
    async with harness.session.post(harness.url("/api/v3/resources/things/t1")) as r:
        assert r.status == 405


async def test_server_stream_newline_delimited(harness: Harness) -> None:
    async with harness.session.post(harness.url(f"{_APP}/events"), json={"count": 3}) as r:
        assert r.status == 200
        lines = [json.loads(line) async for line in r.content if line.strip()]
    assert [line["result"]["index"] for line in lines[1:]] == [1, 2]
    assert lines[0] == {
        "result": {
            "name": "test.event",
            "data": {"@type": "type.googleapis.com/google.protobuf.Timestamp", "value": "1970-01-01T00:00:00Z"},
        }
    }


async def test_server_stream_error_mid_stream_and_before_start(harness: Harness) -> None:
    async with harness.session.post(harness.url(f"{_APP}/events"), json={"count": 2, "fail_code": 7}) as r:
        assert r.status == 200
        lines = [json.loads(line) async for line in r.content if line.strip()]
    assert len(lines) == 3
    assert lines[2] == {"error": {"code": 7, "message": "stream failed", "details": []}}
    async with harness.session.post(harness.url(f"{_APP}/events"), json={"fail_code": 16}) as r:
        assert r.status == 401
        assert (await _json(r))["code"] == 16
    async with harness.session.post(harness.url(f"{_APP}/events"), json={}) as r:
        assert r.status == 200
        assert await r.text() == ""


async def test_unexpected_failure_is_500_json(pb: Any) -> None:
    from unit.httpapi.harness import start_harness

    def broken(name: str) -> None:
        raise RuntimeError("boom")

    async for h in start_harness(pb, channel_for_service=broken):
        async with h.session.get(h.url("/api/v3/echo")) as r:
            assert r.status == 500
            body = await _json(r)
        assert body["code"] == 13
        assert "boom" not in json.dumps(body)
        assert body["details"][0]["correlation_id"]
