"""Start, watch and stop the five server processes on one host.

Each role gets its own gRPC and HTTP port, the peers' addresses, a shared
cluster key and its own Redis key prefix; the IS database is migrated first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp

__all__ = ["LOCAL_PORTS", "MODULES", "LocalCluster", "RoleProcess"]

MODULES: Mapping[str, str] = {
    "is": "identityserver",
    "gs": "gatewayserver",
    "ns": "networkserver",
    "as": "applicationserver",
    "js": "joinserver",
}

# design.md section 6: one pair of ports per role on one host.
LOCAL_PORTS: Mapping[str, tuple[int, int]] = {
    "is": (1884, 1885),
    "gs": (2884, 2885),
    "ns": (3884, 3885),
    "as": (4884, 4885),
    "js": (5884, 5885),
}


@dataclass
class RoleProcess:
    role: str
    grpc_port: int
    http_port: int
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class LocalCluster:
    """The five roles as child processes of this one."""

    def __init__(
        self,
        *,
        ports: Mapping[str, tuple[int, int]],
        cluster_key: bytes,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        role_env: Mapping[str, Mapping[str, str]] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.python = python
        self.log_dir = log_dir
        base = {k: v for k, v in os.environ.items() if not k.startswith("LORASTACK_")}
        base["LORASTACK_CLUSTER_KEYS"] = cluster_key.hex()
        base.update({f"LORASTACK_PEERS_{r.upper()}": f"127.0.0.1:{p[0]}" for r, p in ports.items()})
        base.update(env or {})
        self.roles: dict[str, RoleProcess] = {}
        for role, (grpc_port, http_port) in ports.items():
            role_vars = {
                **base,
                "LORASTACK_GRPC_ADDRESS": f"127.0.0.1:{grpc_port}",
                "LORASTACK_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
                **((role_env or {}).get(role, {})),
            }
            self.roles[role] = RoleProcess(role, grpc_port, http_port, role_vars, log_dir / f"{role}.log")

    async def _identity_server_command(self, command: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            self.python, "-m", MODULES["is"], command,
            env=self.roles["is"].env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await proc.communicate()
        text = out.decode(errors="replace").strip()
        if proc.returncode != 0:
            raise RuntimeError(f"identity server {command} failed:\n{text}")
        return text

    async def migrate(self) -> str:
        """Create and migrate the IS database; returns what the command printed."""
        return await self._identity_server_command("migrate")

    async def bootstrap(self) -> str:
        """Create the admin user and API key once; returns what the command printed (the key, once)."""
        return await self._identity_server_command("bootstrap")

    async def start(self, *, timeout: float = 60.0) -> None:
        """Migrate, start every role, and wait until all report ready."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if "is" in self.roles:
            await self.migrate()
        for rp in self.roles.values():
            rp.log_file = rp.log_path.open("wb")
            rp.process = await asyncio.create_subprocess_exec(
                self.python, "-m", MODULES[rp.role],
                env=rp.env, stdout=rp.log_file, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        await self.wait_ready(timeout=timeout)

    async def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.roles)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
            while pending:
                for role in sorted(pending):
                    rp = self.roles[role]
                    if rp.process is not None and rp.process.returncode is not None:
                        raise RuntimeError(f"{role} exited with code {rp.process.returncode}:\n{rp.log_tail()}")
                    with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                        async with session.get(f"{rp.http_url}/healthz/ready") as resp:
                            if resp.status == 200:
                                pending.discard(role)
                if not pending:
                    return
                if time.monotonic() > deadline:
                    tails = "\n".join(f"--- {r}:\n{self.roles[r].log_tail()}" for r in sorted(pending))
                    raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}\n{tails}")
                await asyncio.sleep(0.2)

    async def stop(self, *, timeout: float = 15.0) -> dict[str, int | None]:
        """SIGTERM every role, wait for it, SIGKILL what hangs; returns the exit codes."""
        for rp in self.roles.values():
            if rp.process is not None and rp.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    rp.process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for role, rp in self.roles.items():
            if rp.process is None:
                continue
            try:
                codes[role] = await asyncio.wait_for(rp.process.wait(), timeout)
            except TimeoutError:
                rp.process.kill()
                codes[role] = await rp.process.wait()
            if rp.log_file is not None:
                rp.log_file.close()
        return codes

    async def wait_any_exit(self) -> RoleProcess:
        """Block until one of the processes exits; returns it."""
        waits = {asyncio.create_task(rp.process.wait()): rp for rp in self.roles.values() if rp.process is not None}
        done, rest = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in rest:
            task.cancel()
        return waits[done.pop()]
