"""Fixtures: one Identity Server with its own database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integration.identityserver.harness import Server, running_server


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server() as srv:
        yield srv
