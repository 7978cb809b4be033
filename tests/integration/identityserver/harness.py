"""A real Identity Server in-process on free ports, against its own fresh PostgreSQL database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import grpc
import nats
import psycopg
from psycopg import sql

from identityserver.bootstrap import bootstrap
from identityserver.config import IdentityServerConfig
from identityserver.server import build
from lorastack.component import Component
from lorastack.config import load

TENANT_ADMIN_KEY = "tenant-admin-secret"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Server:
    config: IdentityServerConfig
    component: Component
    channel: grpc.aio.Channel
    http: aiohttp.ClientSession
    admin_key: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.component.http_port}/api/v3"

    def md(self, key: str | None = None, tenant: str | None = None) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = [("authorization", f"Bearer {key or self.admin_key}")]
        if tenant:
            out.append(("x-tenant-id", tenant))
        return tuple(out)

    def headers(self, key: str | None = None, tenant: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {key or self.admin_key}"}
        if tenant:
            out["Grpc-Metadata-X-Tenant-Id"] = tenant
        return out

    async def rest(
        self, method: str, path: str, *, key: str | None = None, body: Any = None, tenant: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        async with self.http.request(method, self.base + path, json=body, headers=self.headers(key, tenant)) as resp:
            data = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, data, dict(resp.headers)


async def drop_database(name: str) -> None:
    async with await psycopg.AsyncConnection.connect(ADMIN_URL, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def _drop_stream(url: str, stream: str) -> None:
    client = await nats.connect(url)
    try:
        with contextlib.suppress(Exception):
            await client.jsm().delete_stream(stream)
    finally:
        await client.close()


@asynccontextmanager
async def running_server(**overrides: Any) -> AsyncIterator[Server]:
    name = f"lorastack_test_{uuid.uuid4().hex[:12]}"
    config = load(
        IdentityServerConfig,
        {},
        grpc_address="127.0.0.1:0",
        http_address="127.0.0.1:0",
        database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
        database_pool_size=4,
        is_admin_password="correct horse battery",
        shutdown_grace_seconds=0.1,
        is_tenant_admin_keys=(TENANT_ADMIN_KEY,),
        events_stream=f"ISTEST_{name.upper()}",
        events_subject_prefix=f"istest.{name}",
        **overrides,
    )
    try:
        result = await bootstrap(config)
        assert result.api_key is not None
        component = await build(config)
        await component.start()
        config_with_peer = component.config
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}")
        http = aiohttp.ClientSession()
        try:
            yield Server(config_with_peer, component, channel, http, result.api_key)  # type: ignore[arg-type]
        finally:
            await http.close()
            await channel.close()
            await component.stop()
            await _drop_stream(config.nats_url, config.events_stream)
    finally:
        await drop_database(name)


async def add_tenant(server: Server, tenant: str) -> str:
    """A second tenant with its own admin user and key (made directly in the database, like bootstrap)."""
    from identityserver.auth import Caller
    from identityserver.server import wire
    from lorastack.storage import postgres
    from ttn.lorawan.v3 import identifiers_pb2, rights_pb2, user_pb2

    async with await psycopg.AsyncConnection.connect(server.config.database_url, autocommit=True) as conn:
        await conn.execute("INSERT INTO tenants (tenant_id) VALUES (%s)", (tenant,))
    pool = postgres.open_pool(server.config.database_url, max_size=1)
    await pool.open()
    try:
        domain = wire(server.config, pool)
        caller = Caller(tenant, cluster=True)
        user = user_pb2.User(ids=identifiers_pb2.UserIdentifiers(user_id="admin"), admin=True, password="p" * 12)
        await domain.users.create(caller, user)
        key = await domain.access.create_key(caller, "user", "admin", "tenant admin", [rights_pb2.RIGHT_ALL], None)
        return key.key
    finally:
        await pool.close()
