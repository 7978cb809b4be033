"""Fixtures of the REST gateway tests; the machinery lives in harness.py."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from types import ModuleType

import pytest

from unit.httpapi.harness import MODULE_NAME, Harness, compile_protos, start_harness


@pytest.fixture(scope="session")
def pb(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    # The default pool refuses a second registration of the same file, so compile once per process.
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    return compile_protos(tmp_path_factory.mktemp("protos"))


@pytest.fixture
async def harness(pb: ModuleType) -> AsyncIterator[Harness]:
    async for h in start_harness(pb):
        yield h


@pytest.fixture
async def harness_without_details(pb: ModuleType) -> AsyncIterator[Harness]:
    async for h in start_harness(pb, error_details_type="lorastack.test.v1.Missing"):
        yield h
