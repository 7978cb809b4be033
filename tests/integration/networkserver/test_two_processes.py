"""Two real NS processes (``python -m networkserver``) sharing one Redis: an uplink heard by three
gateways and handed to both processes reaches the AS link exactly once, with three receptions."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from integration.networkserver.frames import data_uplink, uplink_message
from integration.networkserver.nsharness import CLUSTER_KEY, CLUSTER_MD, new_tag, ns_config, read_link
from integration.networkserver.nsharness import _cleanup as cleanup_stores
from integration.networkserver.test_registry import ALL_PATHS, APP, abp_device
from support import free_port
from ttn.lorawan.v3 import end_device_pb2, networkserver_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def two_processes() -> AsyncIterator[list[int]]:
    tag = new_tag()
    ports = [free_port(), free_port()]
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT / 'lib'}:{ROOT / 'services' / 'ns'}",
        LORASTACK_REDIS_PREFIX=f"test:{tag}",
        LORASTACK_EVENTS_STREAM=f"TEST_NS_{tag}",
        LORASTACK_EVENTS_SUBJECT_PREFIX=f"test.ns.{tag}",
        LORASTACK_CLUSTER_KEYS=CLUSTER_KEY.hex(),
        LORASTACK_NS_NET_ID="000013",
        LORASTACK_LOG_LEVEL="warning",
    )
    processes = []
    for port in ports:
        own = {"LORASTACK_GRPC_ADDRESS": f"127.0.0.1:{port}", "LORASTACK_HTTP_ADDRESS": f"127.0.0.1:{free_port()}"}
        command = (sys.executable, "-m", "networkserver")
        processes.append(await asyncio.create_subprocess_exec(*command, env={**env, **own}, cwd=ROOT))
    try:
        for port in ports:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await asyncio.wait_for(channel.channel_ready(), 20)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), 20)
        await cleanup_stores([ns_config(tag, "127.0.0.1:1")])


async def test_exactly_once_across_processes(two_processes: list[int]) -> None:
    first, second = two_processes
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first}") as channel:
        request = end_device_pb2.SetEndDeviceRequest(
            end_device=abp_device(), field_mask=field_mask_pb2.FieldMask(paths=ALL_PATHS)
        )
        await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(request, metadata=CLUSTER_MD)
    messages = uplink_message(data_uplink("26011BDA", 1, payload=b"once"), ("gw-1", "gw-2", "gw-3"))
    for port, message in zip((first, second, first), messages, strict=True):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await networkserver_pb2_grpc.GsNsStub(channel).HandleUplink(message, metadata=CLUSTER_MD)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second}") as channel:
        received = await read_link(channel, APP, 2, timeout=1.5)
    assert len(received) == 1
    uplink = received[0].uplink_message
    assert uplink.frm_payload == b"once"
    assert sorted(md.gateway_ids.gateway_id for md in uplink.rx_metadata) == ["gw-1", "gw-2", "gw-3"]
