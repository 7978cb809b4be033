"""Shared fixtures: per-test names, so tests can run side by side."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def unique_name() -> str:
    """A short lower-case name unique to this test, for databases, prefixes and streams."""
    return f"t{uuid.uuid4().hex[:12]}"
