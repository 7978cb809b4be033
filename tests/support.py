"""Small helpers shared by tests (importable because tests/ is on the test path)."""

from __future__ import annotations

import os
import random
import socket

# Ports handed out below the kernel's ephemeral range (32768+ here), so that no outgoing
# connection of another process can take one between our choice and the server's bind;
# each xdist worker draws from its own slice so parallel workers never pick the same port.
_LOW, _HIGH = 20000, 32000
_handed_out: set[int] = set()


def _slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker.removeprefix("gw") or 0) if worker.startswith("gw") else 0
    size = (_HIGH - _LOW) // max(count, 1)
    start = _LOW + index * size
    return range(start, start + size)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on right now (TCP by default), not handed out before in this process."""
    candidates = list(_slice())
    random.shuffle(candidates)
    for port in candidates:
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port left in this worker's range")
