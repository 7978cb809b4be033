"""Tests of path template parsing and matching (google/api/http.proto path template syntax)."""

from __future__ import annotations

import pytest

from lorastack.httpapi.pathtemplate import PathTemplate, TemplateError


def test_nested_variables_bind_field_paths() -> None:
    t = PathTemplate.parse("/applications/{ids.application_id}/devices/{ids.device_id}")
    assert t.variables == ("ids.application_id", "ids.device_id")
    assert t.match("/applications/app1/devices/dev%2D1") == {"ids.application_id": "app1", "ids.device_id": "dev-1"}
    assert t.match("/applications/app1/devices") is None
    assert t.match("/applications/app1/devices/dev1/extra") is None
    assert t.openapi_path == "/applications/{ids.application_id}/devices/{ids.device_id}"


def test_variable_with_sub_template_and_deep_wildcard() -> None:
    t = PathTemplate.parse("/v1/{name=things/*}")
    assert t.match("/v1/things/abc") == {"name": "things/abc"}
    assert t.match("/v1/other/abc") is None
    deep = PathTemplate.parse("/files/{path=**}")
    assert deep.match("/files/a/b/c") == {"path": "a/b/c"}
    assert PathTemplate.parse("/a/*/b").match("/a/x/b") == {}


def test_verbs() -> None:
    t = PathTemplate.parse("/v1/{name=things/*}:activate")
    assert t.verb == "activate"
    assert t.match("/v1/things/x:activate") == {"name": "things/x"}
    assert t.match("/v1/things/x") is None
    plain = PathTemplate.parse("/v1/{name=things/*}")
    assert t.priority < plain.priority
    assert t.openapi_path == "/v1/{name}:activate"


def test_literal_priority() -> None:
    literal = PathTemplate.parse("/gateways/by-eui/{eui}")
    variable = PathTemplate.parse("/gateways/{id}/{other}")
    assert literal.priority < variable.priority


@pytest.mark.parametrize("bad", ["no-slash", "/a/{b", "/a//b", "/a/{1x}", "/a/{b}/{b}", "/a/b c"])
def test_rejects_malformed_templates(bad: str) -> None:
    with pytest.raises(TemplateError):
        PathTemplate.parse(bad)
