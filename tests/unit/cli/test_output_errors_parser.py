"""Output formats, how a failed call is printed, and the command tree (every command has --help)."""

from __future__ import annotations

import argparse
import io
import json

import grpc
import pytest

from lorastack.cli import app
from lorastack.cli.errors import describe_rpc_error
from lorastack.cli.output import Output, flatten
from lorastack.cli.registration import IS, NS, registry_paths
from lorastack.errors import define
from lorastack.httpapi import to_json
from lorastack.rpc.status import status_trailers
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2


def _device() -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(name="Sensor", frequency_plan_id="EU_863_870")
    device.ids.device_id = "dev-1"
    device.ids.application_ids.application_id = "app-1"
    device.ids.dev_eui = bytes.fromhex("70B3D57ED0000001")
    return device


def test_json_output_is_the_rest_json() -> None:
    out = io.StringIO()
    Output(out, "json").message(_device())
    assert json.loads(out.getvalue()) == to_json(_device())
    assert json.loads(out.getvalue())["ids"]["dev_eui"] == "70B3D57ED0000001"


def test_table_output_has_one_row_per_message() -> None:
    out = io.StringIO()
    other = _device()
    other.ids.device_id = "dev-2"
    other.ClearField("name")
    Output(out, "table").messages([_device(), other])
    header, first, second = out.getvalue().splitlines()
    assert header.split()[:2] == ["IDS.DEVICE_ID", "IDS.APPLICATION_IDS.APPLICATION_ID"]
    assert first.split()[0] == "dev-1" and second.split()[0] == "dev-2"
    assert "Sensor" in first and "Sensor" not in second


def test_notes_go_to_their_own_stream() -> None:
    out, notes = io.StringIO(), io.StringIO()
    Output(out, "json", notes).note("hello")
    assert out.getvalue() == "" and notes.getvalue() == "hello\n"


def test_flatten_keeps_lists_whole() -> None:
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}}) == {"a.b": 1, "a.c": [1, 2], "d": {}}


def _rpc_error(trailers: tuple[tuple[str, bytes], ...], details: str = "") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=details
    )


def test_error_prints_name_message_attributes_and_cause() -> None:
    inner = define("pkg/redis", "unavailable", "redis at `{host}` is down", grpc.StatusCode.UNAVAILABLE)
    outer = define("pkg/networkserver", "device_not_found", "device `{device_id}` not found", grpc.StatusCode.NOT_FOUND)
    err = outer(device_id="dev-1", cause=inner(host="r1"))
    text = describe_rpc_error(_rpc_error(status_trailers(err)))
    lines = text.splitlines()
    assert lines[0] == "error: NOT_FOUND"
    assert lines[1] == "  pkg/networkserver:device_not_found (device `dev-1` not found)"
    assert "    device_id: dev-1" in lines
    assert f"    correlation_id: {err.correlation_id}" in lines
    assert any("pkg/redis:unavailable (redis at `r1` is down)" in line for line in lines)


def test_error_without_details_shows_the_status_text() -> None:
    assert describe_rpc_error(_rpc_error((), "Method not found!")) == "error: NOT_FOUND: Method not found!"


def test_registry_paths_split_a_device_by_registry() -> None:
    device = _device()
    assert registry_paths(IS, device, ["name", "frequency_plan_id"]) == ["name"]
    assert registry_paths(NS, device, ["name", "frequency_plan_id"]) == ["frequency_plan_id"]
    # Nothing under session is set, so the NS gets none of its session paths.
    assert not [p for p in registry_paths(NS, device) if p.startswith("session")]


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # aliases share a parser
                    seen.add(id(sub))
                    found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands(app.build_parser())


def test_the_tree_has_every_group() -> None:
    tops = {c[0] for c in COMMANDS if c}
    assert {"login", "users", "organizations", "applications", "gateways", "end-devices", "events"} <= tops
    for path in [
        ("applications", "api-keys", "create"),
        ("applications", "collaborators", "set"),
        ("applications", "webhooks", "set"),
        ("applications", "pubsubs", "list"),
        ("gateways", "connection-stats"),
        ("end-devices", "downlink", "push"),
        ("end-devices", "downlink", "replace"),
        ("end-devices", "downlink", "list"),
        ("organizations", "collaborators", "list"),
        ("users", "api-keys", "delete"),
    ]:
        assert path in COMMANDS, path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "lorastack")
def test_every_command_has_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        app.main([*command, "--help"])
    assert done.value.code == 0
    assert "usage: lorastack" in capsys.readouterr().out


def test_a_group_alone_prints_its_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["end-devices"]) == 2
    assert "downlink" in capsys.readouterr().err


def test_identifiers_message_from_flags() -> None:
    from lorastack.cli.entity import ids_of
    from lorastack.cli.gateways import KIND

    assert ids_of(KIND, argparse.Namespace(gateway_id="gw-1")) == identifiers_pb2.GatewayIdentifiers(gateway_id="gw-1")
