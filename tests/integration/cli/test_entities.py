"""The CLI against the real cluster: login, users, organizations, applications, API keys, collaborators,
gateways, the AS integrations and events, and how errors are printed."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from integration.cli.clirunner import Cli, logged_in_cli

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cli(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cli]:
    async for running in logged_in_cli(tmp_path_factory.mktemp("cli")):
        yield running


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_login_stores_the_key_readable_by_the_owner_only(cli: Cli) -> None:
    mode = stat.S_IMODE(cli.config_path.stat().st_mode)
    assert mode == 0o600
    text = cli.config_path.read_text()
    assert cli.api_key in text and cli.cluster.roles["ns"].grpc_target in text


async def test_login_with_a_bad_key_fails_and_stores_nothing(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = Cli(cli.cluster, tmp_path / "other.json")
    result = await other.run("login", "--api-key", "NNSXS.NOPE.NOPE", *cli.addresses(), ok=False)
    assert result.code == 1
    assert "UNAUTHENTICATED" in result.stderr
    assert not other.config_path.exists()


async def test_users_and_their_api_keys(cli: Cli) -> None:
    user = _id("user")
    created = (
        await cli.run("users", "create", "--user-id", user, "--password", "a-long-password-1", "--name", "U")
    ).json
    assert created["ids"]["user_id"] == user and "password" not in created
    updated = (await cli.run("users", "update", "--user-id", user, "--description", "ops")).json
    assert updated["description"] == "ops"
    assert (await cli.run("users", "get", "--user-id", user)).json["name"] == "U"

    key = await cli.run("users", "api-keys", "create", "--user-id", user, "--name", "k", "--right-user-info")
    assert key.json["key"].startswith("NNSXS.") and "shown only now" in key.stderr
    key_id = key.json["id"]
    listed = (await cli.run("users", "api-keys", "list", "--user-id", user)).json
    assert [k["id"] for k in listed] == [key_id]
    renamed = await cli.run("users", "api-keys", "update", "--user-id", user, "--api-key-id", key_id, "--name", "k2")
    assert renamed.json["name"] == "k2"
    await cli.run("users", "api-keys", "delete", "--user-id", user, "--api-key-id", key_id)
    assert (await cli.run("users", "api-keys", "list", "--user-id", user)).json == []

    await cli.run("users", "delete", "--user-id", user)
    gone = await cli.run("users", "get", "--user-id", user, ok=False)
    assert gone.code == 1 and "NOT_FOUND" in gone.stderr


async def test_applications_with_keys_collaborators_and_table_output(cli: Cli) -> None:
    app, member = _id("app"), _id("member")
    await cli.run("users", "create", "--user-id", member, "--password", "a-long-password-1")
    created = await cli.run(
        "applications", "create", "--application-id", app, "--name", "Field test", "--attributes", "site=lab"
    )
    assert created.json["attributes"] == {"site": "lab"}
    assert created.json["administrative_contact"]["user_ids"]["user_id"] == "admin"  # the key's owner by default

    table = await cli.run("apps", "list", "--output", "table")
    header, *rows = table.stdout.splitlines()
    assert header.split()[0] == "IDS.APPLICATION_ID" and any(r.split()[0] == app for r in rows)
    got = await cli.run("-o", "table", "applications", "get", "--application-id", app)
    assert any(line.split() == ["name", "Field", "test"] for line in got.stdout.splitlines())

    await cli.run("apps", "update", "--application-id", app, "--description", "second")
    assert (await cli.run("apps", "get", "--application-id", app)).json["description"] == "second"

    key = (await cli.run("apps", "api-keys", "create", "--application-id", app, "--right-application-all")).json
    assert key["rights"] == ["RIGHT_APPLICATION_ALL"]
    await cli.run("apps", "api-keys", "get", "--application-id", app, "--api-key-id", key["id"])

    await cli.run(
        "apps", "collaborators", "set", "--application-id", app, "--user-id", member,
        "--right-application-info", "--right-application-devices-read",
    )  # fmt: skip
    got = (await cli.run("apps", "collaborators", "get", "--application-id", app, "--user-id", member)).json
    assert sorted(got["rights"]) == ["RIGHT_APPLICATION_DEVICES_READ", "RIGHT_APPLICATION_INFO"]
    listed = (await cli.run("apps", "collaborators", "list", "--application-id", app)).json
    assert {c["ids"]["user_ids"]["user_id"] for c in listed} == {"admin", member}
    await cli.run("apps", "collaborators", "delete", "--application-id", app, "--user-id", member)
    listed = (await cli.run("apps", "collaborators", "list", "--application-id", app)).json
    assert {c["ids"]["user_ids"]["user_id"] for c in listed} == {"admin"}

    await cli.run("apps", "delete", "--application-id", app)
    assert (await cli.run("apps", "get", "--application-id", app, ok=False)).code == 1


async def test_organizations_and_members(cli: Cli) -> None:
    org, member = _id("org"), _id("member")
    await cli.run("users", "create", "--user-id", member, "--password", "a-long-password-1")
    await cli.run("organizations", "create", "--organization-id", org, "--name", "Ops")
    assert any(o["ids"]["organization_id"] == org for o in (await cli.run("orgs", "list")).json)
    await cli.run(
        "org", "collaborators", "set", "--organization-id", org, "--user-id", member, "--right-organization-info"
    )
    listed = (await cli.run("org", "collaborators", "list", "--organization-id", org)).json
    assert {c["ids"]["user_ids"]["user_id"] for c in listed} == {"admin", member}
    key = (await cli.run("org", "api-keys", "create", "--organization-id", org, "--right-organization-all")).json
    assert key["key"].startswith("NNSXS.")
    assert (await cli.run("org", "update", "--organization-id", org, "--name", "Ops 2")).json["name"] == "Ops 2"
    await cli.run("org", "delete", "--organization-id", org)


async def test_gateways_and_connection_stats(cli: Cli) -> None:
    gateway = _id("gtw")
    created = await cli.run(
        "gateways", "create", "--gateway-id", gateway, "--gateway-eui", "00-80-00-00-A0-00-00-01",
        "--frequency-plan-id", "EU_863_870",
    )  # fmt: skip
    assert created.json["ids"]["eui"] == "00800000A0000001"
    assert created.json["frequency_plan_ids"] == ["EU_863_870"]
    assert (await cli.run("gtw", "update", "--gateway-id", gateway, "--status-public")).json["status_public"] is True
    assert any(g["ids"]["gateway_id"] == gateway for g in (await cli.run("gateways", "list")).json)
    # Never connected: the Gateway Server's own error comes through with its attributes.
    stats = await cli.run("gateways", "connection-stats", "--gateway-id", gateway, ok=False)
    assert stats.code == 1
    assert "NOT_FOUND" in stats.stderr and "not_connected" in stats.stderr and gateway in stats.stderr
    await cli.run("gateways", "delete", "--gateway-id", gateway)


async def test_webhooks_and_pubsubs(cli: Cli) -> None:
    app = _id("app")
    await cli.run("apps", "create", "--application-id", app)
    hook = await cli.run(
        "apps", "webhooks", "set", "--application-id", app, "--webhook-id", "wh1",
        "--base-url", "http://127.0.0.1:9/hook", "--format", "json", "--uplink-message-path", "/up",
    )  # fmt: skip
    assert hook.json["uplink_message"] == {"path": "/up"}
    assert [
        w["ids"]["webhook_id"] for w in (await cli.run("apps", "webhooks", "list", "--application-id", app)).json
    ] == ["wh1"]
    got = (await cli.run("apps", "webhooks", "get", "--application-id", app, "--webhook-id", "wh1")).json
    assert got["base_url"] == "http://127.0.0.1:9/hook"
    await cli.run("apps", "webhooks", "delete", "--application-id", app, "--webhook-id", "wh1")
    assert (await cli.run("apps", "webhooks", "list", "--application-id", app)).json == []

    pubsub = await cli.run(
        "apps", "pubsubs", "set", "--application-id", app, "--pub-sub-id", "ps1", "--format", "json",
        "--nats-server-url", "nats://127.0.0.1:4222", "--base-topic", "lorastack.test",
    )  # fmt: skip
    assert pubsub.json["nats"]["server_url"] == "nats://127.0.0.1:4222"
    listed = (await cli.run("apps", "pubsubs", "list", "--application-id", app)).json
    assert [p["ids"]["pub_sub_id"] for p in listed] == ["ps1"]
    await cli.run("apps", "pubsubs", "delete", "--application-id", app, "--pub-sub-id", "ps1")


async def test_events_follow_an_application_filtered_by_name(cli: Cli) -> None:
    app = _id("app")
    await cli.run("apps", "create", "--application-id", app)
    follower = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lorastack.cli", "events", "--application-id", app, "--name", "is.application.update",
        "--max", "2",
        env={**os.environ, "LORASTACK_CLI_CONFIG": str(cli.config_path)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert follower.stdout is not None
    try:
        # The server opens every stream with events.stream.start: from then on nothing is missed.
        first = json.loads(await asyncio.wait_for(follower.stdout.readline(), 20))
        assert first["name"] == "events.stream.start"
        await cli.run("apps", "update", "--application-id", app, "--name", "renamed")
        await cli.run("gateways", "create", "--gateway-id", _id("gtw"))  # another entity: filtered out
        second = json.loads(await asyncio.wait_for(follower.stdout.readline(), 20))
        assert second["name"] == "is.application.update"
        assert second["identifiers"] == [{"application_ids": {"application_id": app}}]
        assert await asyncio.wait_for(follower.wait(), 10) == 0  # --max 2 reached
    finally:
        if follower.returncode is None:
            follower.kill()
            await follower.wait()


async def test_errors_show_name_message_and_attributes(cli: Cli) -> None:
    result = await cli.run("applications", "get", "--application-id", "no-such-app", ok=False)
    assert result.code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: NOT_FOUND"
    assert "pkg/identityserver:not_found (application `no-such-app` not found)" in lines[1]
    assert "entity_id: no-such-app" in result.stderr and "correlation_id:" in result.stderr

    bad = await cli.run("applications", "create", "--application-id", "Bad_ID", ok=False)
    assert bad.code == 1 and "INVALID_ARGUMENT" in bad.stderr

    usage = await cli.run("applications", "get", ok=False)
    assert usage.code == 2 and "--application-id is required" in usage.stderr


async def test_a_call_without_login_is_refused_clearly(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    anonymous = Cli(cli.cluster, tmp_path / "none.json")
    # No config file: no key and the default local ports; point it at the test cluster without a key.
    await anonymous.run("login", "--no-check", "--api-key", "NNSXS.X.Y", *cli.addresses())
    result = await anonymous.run("applications", "get", "--application-id", "whatever", ok=False)
    assert result.code == 1 and "UNAUTHENTICATED" in result.stderr
