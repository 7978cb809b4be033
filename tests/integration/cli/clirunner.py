"""Run ``python -m lorastack.cli`` as a subprocess against a real five-process cluster, logged in with the
admin API key that the Identity Server's bootstrap command prints."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster_support import cluster_names, running_cluster
from lorastack.devcluster import LocalCluster

__all__ = ["Cli", "Result", "logged_in_cli"]


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    cluster: LocalCluster
    config_path: Path
    api_key: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def addresses(self) -> list[str]:
        return [arg for role, rp in self.cluster.roles.items() for arg in (f"--{role}", rp.grpc_target)]

    async def run(self, *args: str, ok: bool = True, timeout: float = 60) -> Result:
        env = {**os.environ, **self.env, "LORASTACK_CLI_CONFIG": str(self.config_path)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lorastack.cli", *args,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        result = Result(proc.returncode or 0, out.decode(), err.decode())
        if ok:
            assert result.code == 0, (args, result)
        return result


async def bootstrap_key(cluster: LocalCluster) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "identityserver", "bootstrap",
        env=cluster.roles["is"].env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    text = out.decode()
    found = re.search(r"admin API key \(shown once[^)]*\): (\S+)", text)
    assert proc.returncode == 0 and found, text
    return found.group(1)


async def logged_in_cli(tmp: Path) -> AsyncIterator[Cli]:
    """A started cluster and a CLI whose config file holds the bootstrap admin key and the cluster's ports."""
    async for cluster in running_cluster(tmp / "cluster", cluster_names()):
        cli = Cli(cluster, tmp / "cli" / "config.json")
        cli.api_key = await bootstrap_key(cluster)
        await cli.run("login", "--api-key", cli.api_key, *cli.addresses())
        yield cli
