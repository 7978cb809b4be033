"""Fixtures: one Gateway Server with fake IS and NS peers per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integration.gatewayserver.harness import Harness, running


@pytest.fixture
async def gs() -> AsyncIterator[Harness]:
    async with running() as harness:
        yield harness
