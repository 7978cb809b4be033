"""A real Join Server in-process on free ports, against the machine's Redis and NATS, one key prefix
and one events stream per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import nats
import pytest
from nats.js.errors import NotFoundError

from integration.joinserver.jsharness import AT_REST_KEK, CLUSTER_KEY, KEKS, RunningJS, StartJS
from joinserver.config import JoinServerConfig
from joinserver.keyvault import KeyVault
from joinserver.redisstore import RedisDeviceRegistry
from joinserver.server import build
from lorastack.config import load
from lorastack.storage.redis import connect


@pytest.fixture
async def start_js() -> AsyncIterator[StartJS]:
    started: list[RunningJS] = []

    async def start(**overrides: Any) -> RunningJS:
        tag = uuid.uuid4().hex[:12]
        settings: dict[str, Any] = {
            "grpc_address": "127.0.0.1:0",
            "http_address": "127.0.0.1:0",
            "redis_prefix": f"test-js-{tag}",
            "events_stream": f"TEST_JS_{tag}",
            "events_subject_prefix": f"test.js.{tag}",
            "cluster_keys": (CLUSTER_KEY,),
            "js_root_key_kek": AT_REST_KEK,
            "js_keks": KEKS,
            "shutdown_grace_seconds": 0.5,
        }
        settings.update(overrides)
        config = load(JoinServerConfig, {}, **settings)
        component = await build(config)
        await component.start()
        redis = connect(config.redis_url)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}")
        running = RunningJS(
            component,
            config,
            redis,
            RedisDeviceRegistry(redis, config.redis_prefix, session_ttl=config.js_session_key_ttl_seconds),
            KeyVault(config.js_root_key_kek, dict(config.js_keks)),
            channel,
        )
        started.append(running)
        return running

    yield start
    for running in started:
        await running.channel.close()
        await running.component.stop()
        async for key in running.redis.scan_iter(match=f"{running.config.redis_prefix}:*"):
            await running.redis.delete(key)
        await running.redis.aclose()
        client = await nats.connect(running.config.nats_url)
        with contextlib.suppress(NotFoundError):
            await client.jsm().delete_stream(running.config.events_stream)
        await client.close()
