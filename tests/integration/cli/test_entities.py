"""The CLI against the real cluster: login, users, organizations, applications, API keys, collaborators,
gateways, the AS integrations and events, and how errors are printed."""

from __future__ import annotations

import stat
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
