"""Configuration parsing of the AS and MQTT username handling."""

from __future__ import annotations

import pytest

from applicationserver.config import ApplicationServerConfig, parse_keks
from applicationserver.mqtt import parse_username
from lorastack.config import ConfigError, load


def test_keks_parse_by_label() -> None:
    assert parse_keks("a=" + "00" * 16 + ", b=" + "11" * 32) == (("a", bytes(16)), ("b", b"\x11" * 32))
    with pytest.raises(ValueError):
        parse_keks("nolabel")
    with pytest.raises(ValueError):
        parse_keks("a=0011")


def test_config_from_environment() -> None:
    config = load(ApplicationServerConfig, {"LORASTACK_AS_KEKS": "k=" + "ab" * 16, "LORASTACK_AS_MQTT_ADDRESS": "off"})
    assert config.kek("k") == b"\xab" * 16 and config.kek("x") is None
    assert config.as_mqtt_address == ""
    assert config.redacted()["as_keks"] == "<redacted>"
    with pytest.raises(ConfigError) as err:
        load(ApplicationServerConfig, {"LORASTACK_AS_FORMATTER_TIME_LIMIT_SECONDS": "0"})
    assert "LORASTACK_AS_FORMATTER_TIME_LIMIT_SECONDS" in str(err.value)


@pytest.mark.parametrize(
    ("username", "expected"),
    [("app1", ("app1", "default")), ("app1@acme", ("app1", "acme")), ("", None), ("a/b", None), ("v3/#", None)],
)
def test_usernames(username: str, expected: tuple[str, str] | None) -> None:
    assert parse_username(username, "default") == expected


def test_device_kek_label_must_name_a_kek() -> None:
    kek = "k=" + "ab" * 16
    config = load(ApplicationServerConfig, {"LORASTACK_AS_KEKS": kek, "LORASTACK_AS_DEVICE_KEK_LABEL": "k"})
    assert config.as_device_kek_label == "k"
    with pytest.raises(ConfigError) as err:
        load(ApplicationServerConfig, {"LORASTACK_AS_KEKS": kek, "LORASTACK_AS_DEVICE_KEK_LABEL": "missing"})
    assert "LORASTACK_AS_DEVICE_KEK_LABEL" in str(err.value)
