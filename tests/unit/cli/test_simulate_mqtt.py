"""``lorastack simulate`` settings from flags and config, and the MQTT subscriber's addresses, topics and
printing (the parts without a network)."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from lorastack.cli import app
from lorastack.cli.config import CliConfig
from lorastack.cli.errors import CliError
from lorastack.cli.mqtt import MqttMessage, format_message, mqtt_target, topic_filter
from lorastack.cli.output import Output
from lorastack.cli.simulate import gateway_addresses, payload_hex, settings_from
from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion

REMOTE = CliConfig(
    api_key="NNSXS.KEY.SECRET",
    addresses={"is": "lns.example:1884", "gs": "gw.example:2884", "ns": "n:1", "as": "a:2", "js": "j:3"},
)


def _args(*argv: str) -> argparse.Namespace:
    return app.build_parser().parse_args(["simulate", "uplinks", *argv])


def test_settings_take_the_key_and_addresses_from_the_cli_config() -> None:
    args = _args("--application-id", "demo", "--devices", "3", "--duration", "5", "--payload", "0167010A")
    settings = settings_from(args, REMOTE, "admin")
    assert settings.api_key == "NNSXS.KEY.SECRET" and settings.owner == "admin"
    assert settings.endpoints.identity_server == "lns.example:1884"
    assert (settings.endpoints.join_server, settings.endpoints.network_server) == ("j:3", "n:1")
    assert settings.endpoints.application_server == "a:2"
    assert settings.gs_udp == "gw.example:1700" and settings.gs_lns == "ws://gw.example:1887"
    assert settings.application_id == "demo" and settings.prefix == "demo"
    assert settings.devices == 3 and settings.duration == 5.0
    assert settings.payload == bytes.fromhex("0167010A") and settings.payload_size == 4
    assert settings.activation is Activation.OTAA and settings.version is LoRaWANVersion.V1_0_3
    assert settings.device_class is DeviceClass.A and settings.provision


def test_settings_flags_override_defaults() -> None:
    args = _args(
        "--application-id", "demo", "--activation", "abp", "--lorawan-version", "1.1", "--class", "C",
        "--gs-udp", "10.0.0.1:17000", "--prefix", "p", "--payload-size", "12", "--no-provision",
    )  # fmt: skip
    settings = settings_from(args, CliConfig(), "")
    assert settings.activation is Activation.ABP and settings.version is LoRaWANVersion.V1_1
    assert settings.device_class is DeviceClass.C
    assert settings.gs_udp == "10.0.0.1:17000" and settings.prefix == "p"
    assert settings.payload is None and settings.payload_size == 12 and not settings.provision


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--application-id", "demo"), "not logged in"),
        (("--application-id", "demo", "--confirmed-share", "2", "--no-provision"), "--confirmed-share"),
        (("--application-id", "demo", "--devices", "0", "--no-provision"), "--devices"),
        (("--no-provision",), "--application-id is required"),
    ],
)
def test_settings_refuse_what_cannot_run(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(CliError, match=message):
        settings_from(_args(*argv), CliConfig(), "")


def test_payload_must_be_hex_of_a_possible_length() -> None:
    assert payload_hex("01:67:01:0a") == bytes.fromhex("0167010A")
    for bad in ("zz", "", "00" * 243):
        with pytest.raises(argparse.ArgumentTypeError):
            payload_hex(bad)


def test_gateway_addresses_default_to_the_gs_host() -> None:
    assert gateway_addresses(CliConfig(), None, None) == ("127.0.0.1:1700", "ws://127.0.0.1:1887")
    assert gateway_addresses(REMOTE, "x:1", "wss://y") == ("x:1", "wss://y")


def test_mqtt_target_defaults_to_the_as_host_on_1883() -> None:
    assert mqtt_target(None, "as.example:4884") == ("as.example", 1883)
    assert mqtt_target("localhost:11883", "as.example:4884") == ("localhost", 11883)
    with pytest.raises(CliError, match="HOST:PORT"):
        mqtt_target("localhost", "a:1")


def test_topic_filters_follow_the_things_stack_layout() -> None:
    assert topic_filter("demo", None) == ["v3/demo/devices/+/up"]
    assert topic_filter("demo@t1", ["join", "down/queued"]) == [
        "v3/demo@t1/devices/+/join",
        "v3/demo@t1/devices/+/down/queued",
    ]
    assert topic_filter("demo", ["up", "#"]) == ["v3/demo/devices/#"]


def test_message_printing() -> None:
    body = {"end_device_ids": {"device_id": "d"}, "uplink_message": {"decoded_payload": {"t": 1}}}
    message = MqttMessage("v3/demo/devices/d/up", body)
    assert '"decoded_payload": {\n' in format_message(message, "json")
    assert format_message(message, "table") == 'v3/demo/devices/d/up  {"t":1}'
    joined = MqttMessage("v3/demo/devices/d/join", {"join_accept": {}, "end_device_ids": {}})
    assert format_message(joined, "table") == "v3/demo/devices/d/join  end_device_ids, join_accept"
    assert format_message(MqttMessage("t", "raw"), "table") == "t  -"


def test_plain_values_print_as_json_or_a_field_table() -> None:
    summary = {"devices_joined": 1, "devices": {"uplinks": 4}}
    out = io.StringIO()
    Output(out, "json").value(summary)
    assert json.loads(out.getvalue()) == summary
    out = io.StringIO()
    Output(out, "table").value(summary)
    assert out.getvalue().split("\n")[1:3] == ["devices_joined   1", "devices.uplinks  4"]
