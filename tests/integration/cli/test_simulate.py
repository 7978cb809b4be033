"""``lorastack simulate uplinks`` and ``lorastack applications mqtt-subscribe`` as subprocesses against the
real cluster: the simulated device joins, its fixed payload is decoded by the application's default
CayenneLPP formatter, and the subscriber prints the decoded uplink from the AS's MQTT server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from integration.cli.clirunner import Cli, logged_in_cli

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cli(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cli]:
    async for running in logged_in_cli(tmp_path_factory.mktemp("cli")):
        yield running


def _mqtt_address(cli: Cli) -> str:
    return cli.cluster.roles["as"].env["LORASTACK_AS_MQTT_ADDRESS"]


def _udp_address(cli: Cli) -> str:
    return cli.cluster.roles["gs"].env["LORASTACK_GS_UDP_ADDRESS"]


async def _start_subscriber(cli: Cli, *args: str) -> asyncio.subprocess.Process:
    """A background subscriber, returned once it says it is subscribed."""
    env = {**os.environ, "LORASTACK_CLI_CONFIG": str(cli.config_path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lorastack.cli", "applications", "mqtt-subscribe", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    line = await asyncio.wait_for(proc.stderr.readline(), 20)
    assert b"subscribed to" in line, line
    return proc


async def test_simulated_uplink_is_decoded_and_printed_by_the_mqtt_subscriber(cli: Cli) -> None:
    app_id = "sim-demo"
    await cli.run("applications", "create", "--application-id", app_id)
    subscriber = await _start_subscriber(
        cli, "--application-id", app_id, "--mqtt-address", _mqtt_address(cli), "--count", "1", "--timeout", "60"
    )
    simulated = await cli.run(
        "simulate", "uplinks", "--application-id", app_id, "--duration", "12", "--rate", "0.5",
        "--payload", "0167010A", "--up-formatter", "FORMATTER_CAYENNELPP", "--gs-udp", _udp_address(cli),
        timeout=90,
    )  # fmt: skip
    out, err = await asyncio.wait_for(subscriber.communicate(), 60)
    assert subscriber.returncode == 0, err.decode()
    printed = json.loads(out)
    assert printed["topic"] == f"v3/{app_id}/devices/{app_id}-dev-0/up"
    uplink = printed["message"]["uplink_message"]
    assert uplink["decoded_payload"] == {"temperature_1": 26.6}
    assert uplink["frm_payload"] == "AWcBCg=="  # 0167010A in base64

    summary = simulated.json
    assert summary["devices_joined"] == 1
    assert summary["settings"]["payload"] == "0167010A"
    assert summary["devices"]["uplinks"] >= 1
    assert "default uplink formatter FORMATTER_CAYENNELPP" in simulated.stderr


async def test_table_output_is_one_line_per_message_and_a_silent_topic_times_out(cli: Cli) -> None:
    app_id = "sim-quiet"
    await cli.run("applications", "create", "--application-id", app_id)
    result = await cli.run(
        "applications", "mqtt-subscribe", "--application-id", app_id, "--mqtt-address", _mqtt_address(cli),
        "--timeout", "1", "-o", "table", ok=False,
    )  # fmt: skip
    assert result.code == 2 and "no message within 1s" in result.stderr and result.stdout == ""


async def test_mqtt_subscribe_with_a_bad_key_is_refused(cli: Cli) -> None:
    result = await cli.run(
        "applications", "mqtt-subscribe", "--application-id", "sim-demo", "--mqtt-address", _mqtt_address(cli),
        "--api-key", "NNSXS.NOPE.NOPE", "--timeout", "5", ok=False,
    )  # fmt: skip
    assert result.code == 2 and "refused the connection" in result.stderr


async def test_simulate_without_login_says_so(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = Cli(cli.cluster, tmp_path / "none.json")
    result = await other.run("simulate", "uplinks", "--application-id", "x", ok=False)
    assert result.code == 2 and "not logged in" in result.stderr
