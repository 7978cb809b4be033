"""Start the five real processes on free ports, each test module with its own
database, Redis key prefixes and event stream; tear everything down afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import psycopg
from psycopg import sql

from lorastack.devcluster import LocalCluster
from support import free_port

ROLES = ("is", "gs", "ns", "as", "js")


def cluster_names() -> dict[str, str]:
    token = uuid.uuid4().hex[:10]
    return {
        "database": f"lorastack_test_{token}",
        "redis_prefix": f"test-{token}",
        "stream": f"TEST_EVENTS_{token.upper()}",
        "subjects": f"test.{token}.events",
    }


async def drop_database(name: str) -> None:
    async with await psycopg.AsyncConnection.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
    ) as conn:
        await conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def cleanup_stores(names: dict[str, str]) -> None:
    await drop_database(names["database"])
    client = await nats.connect("nats://127.0.0.1:4222")
    with contextlib.suppress(Exception):  # the stream may never have been created
        await client.jetstream().delete_stream(names["stream"])
    await client.close()
    from redis.asyncio import Redis

    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    async for key in redis.scan_iter(match=f"{names['redis_prefix']}*", count=1000):
        await redis.delete(key)
    await redis.aclose()


async def running_cluster(tmp: Path, names: dict[str, str]) -> AsyncIterator[LocalCluster]:
    ports = {role: (free_port(), free_port()) for role in ROLES}
    env = {
        "LORASTACK_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{names['database']}",
        "LORASTACK_EVENTS_STREAM": names["stream"],
        "LORASTACK_EVENTS_SUBJECT_PREFIX": names["subjects"],
        "LORASTACK_LOG_FORMAT": "json",
        "LORASTACK_LOG_LEVEL": "info",
        "LORASTACK_SHUTDOWN_GRACE_SECONDS": "5",
    }
    role_env = {role: {"LORASTACK_REDIS_PREFIX": f"{names['redis_prefix']}:{role}"} for role in ROLES}
    role_env["gs"]["LORASTACK_GS_UDP_ADDRESS"] = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
    role_env["gs"]["LORASTACK_GS_BASICSTATION_ADDRESS"] = f"127.0.0.1:{free_port()}"
    role_env["as"]["LORASTACK_AS_MQTT_ADDRESS"] = f"127.0.0.1:{free_port()}"
    cluster = LocalCluster(
        ports=ports, cluster_key=secrets.token_bytes(16), log_dir=tmp / "log", env=env, role_env=role_env
    )
    try:
        await cluster.start(timeout=60)
        yield cluster
    finally:
        await cluster.stop()
        await cleanup_stores(names)


def log_records(path: Path) -> list[dict[str, object]]:
    """The JSON log lines of a process (other lines, e.g. from C libraries, are skipped)."""
    records = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll an async predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)
