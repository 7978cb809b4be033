"""Shared fixtures: free ports and per-test names, so tests can run side by side."""

from __future__ import annotations

import socket
import uuid

import pytest


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on right now (TCP by default)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unique_name() -> str:
    """A short lower-case name unique to this test, for databases, prefixes and streams."""
    return f"t{uuid.uuid4().hex[:12]}"
