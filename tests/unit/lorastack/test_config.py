from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from lorastack.config import ConfigError, ServiceConfig, host_port, load


@dataclass(frozen=True, slots=True)
class SampleConfig(ServiceConfig):
    sample_count: int = 3
    sample_enabled: bool = False
    sample_names: tuple[str, ...] = ()
    sample_address: str = field(default="0.0.0.0:1", metadata={"parse": host_port})


def test_defaults_without_environment() -> None:
    config = load(SampleConfig, {})
    assert config.grpc_address == "0.0.0.0:1884"
    assert config.cluster_keys == ()
    assert config.peer("ns") is None


def test_values_are_parsed_by_type() -> None:
    config = load(
        SampleConfig,
        {
            "LORASTACK_SAMPLE_COUNT": "7",
            "LORASTACK_SAMPLE_ENABLED": "yes",
            "LORASTACK_SAMPLE_NAMES": "a, b,,c",
            "LORASTACK_CLUSTER_KEYS": "00112233445566778899AABBCCDDEEFF",
            "LORASTACK_PEERS_NS": "ns:1884",
            "LORASTACK_LOG_FORMAT": "json",
        },
    )
    assert (config.sample_count, config.sample_enabled, config.sample_names) == (7, True, ("a", "b", "c"))
    assert config.cluster_keys == (bytes.fromhex("00112233445566778899AABBCCDDEEFF"),)
    assert config.peer("ns") == "ns:1884"
    assert config.redacted()["cluster_keys"] == "<redacted>"


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            SampleConfig,
            {
                "LORASTACK_SAMPLE_COUNT": "many",
                "LORASTACK_SAMPLE_ENABLED": "perhaps",
                "LORASTACK_CLUSTER_KEYS": "abcd",
                "LORASTACK_SAMPLE_ADDRESS": "nowhere",
            },
        )
    assert set(caught.value.problems) == {
        "LORASTACK_SAMPLE_COUNT",
        "LORASTACK_SAMPLE_ENABLED",
        "LORASTACK_CLUSTER_KEYS",
        "LORASTACK_SAMPLE_ADDRESS",
    }
    assert "LORASTACK_CLUSTER_KEYS" in str(caught.value)


def test_cross_field_validation_is_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        load(SampleConfig, {"LORASTACK_LOG_FORMAT": "xml", "LORASTACK_LOG_LEVEL": "loud"})
    assert set(caught.value.problems) == {"LORASTACK_LOG_FORMAT", "LORASTACK_LOG_LEVEL"}


def test_empty_variable_means_default() -> None:
    assert load(SampleConfig, {"LORASTACK_PEERS_IS": "", "LORASTACK_SAMPLE_COUNT": " "}).sample_count == 3
