"""networkserver.config: the NS settings an operator gets wrong are all named in one error."""

from __future__ import annotations

import pytest

from lorastack.config import ConfigError, load
from networkserver.config import NetworkServerConfig


def test_defaults() -> None:
    config = load(NetworkServerConfig, {})
    assert (config.ns_dedup_window_ms, config.ns_downlink_concurrency, config.ns_downlink_lease_ms) == (200, 32, 10_000)
    assert config.ns_uplink_lease_ms == 10_000


def test_bad_settings_are_named_together() -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            NetworkServerConfig,
            {
                "LORASTACK_NS_NET_ID": "xyz",
                "LORASTACK_NS_DOWNLINK_CONCURRENCY": "-1",
                "LORASTACK_NS_DOWNLINK_LEASE_MS": "50",
                "LORASTACK_NS_DEDUP_WINDOW_MS": "-5",
                "LORASTACK_NS_UPLINK_LEASE_MS": "10",
            },
        )
    assert set(caught.value.problems) == {
        "LORASTACK_NS_NET_ID",
        "LORASTACK_NS_DOWNLINK_CONCURRENCY",
        "LORASTACK_NS_DOWNLINK_LEASE_MS",
        "LORASTACK_NS_DEDUP_WINDOW_MS",
        "LORASTACK_NS_UPLINK_LEASE_MS",
    }
