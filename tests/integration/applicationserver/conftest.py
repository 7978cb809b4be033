"""Fixtures: the real Application Server component against real Redis and NATS, with fake peers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import pytest

from applicationserver.config import ApplicationServerConfig
from integration.applicationserver.fakes import FakePeers
from integration.applicationserver.harness import (
    CLUSTER_KEY,
    DEVICE_KEK,
    DEVICE_KEK_LABEL,
    KEK,
    KEK_LABEL,
    ASHarness,
)
from lorastack.config import load
from lorastack.storage import redis as lsredis
from support import free_port


@pytest.fixture
async def harness(unique_name: str) -> AsyncIterator[ASHarness]:
    peers = FakePeers(kek_label=KEK_LABEL, kek=KEK)
    await peers.start()
    config = load(
        ApplicationServerConfig,
        {},
        grpc_address="127.0.0.1:0",
        http_address="127.0.0.1:0",
        redis_prefix=unique_name,
        events_stream=unique_name.upper(),
        events_subject_prefix=f"test.{unique_name}",
        peers_is=peers.address,
        peers_ns=peers.address,
        peers_js=peers.address,
        cluster_keys=(CLUSTER_KEY,),
        as_keks=((KEK_LABEL, KEK), (DEVICE_KEK_LABEL, DEVICE_KEK)),
        as_device_kek_label=DEVICE_KEK_LABEL,
        as_mqtt_address=f"127.0.0.1:{free_port()}",
        as_instance_id="test-replica",
        as_link_backoff_min_seconds=0.05,
        as_link_backoff_max_seconds=0.5,
        as_webhook_backoff_seconds=0.05,
        shutdown_grace_seconds=0.5,
        nats_url=os.environ.get("LORASTACK_NATS_URL", "nats://127.0.0.1:4222"),
    )
    h = ASHarness(peers=peers, config=config)
    try:
        yield h
    finally:
        await h.stop()
        await peers.stop()
        redis = lsredis.connect(config.redis_url)
        keys = [k async for k in redis.scan_iter(match=f"{unique_name}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        import nats

        nc = await nats.connect(config.nats_url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(config.events_stream)
        await nc.close()
