"""The AS links every application it has devices for, without any As.SetLink, and drops the link when
the application's last device is deleted."""

from __future__ import annotations

import asyncio

import grpc

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, TOKEN, auth, device_ids, wait_until
from ttn.lorawan.v3 import applicationserver_pb2_grpc, end_device_pb2


async def _set_device(stub: applicationserver_pb2_grpc.AsEndDeviceRegistryStub, app_id: str, dev_id: str) -> None:
    device = end_device_pb2.EndDevice(ids=device_ids(app_id, dev_id))
    await stub.Set(
        end_device_pb2.SetEndDeviceRequest(end_device=device, field_mask={"paths": ["ids"]}), metadata=auth()
    )


async def test_first_device_links_and_last_device_unlinks(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "devapp", *ALL_APP)
    await harness.start()
    ns = harness.peers.ns
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        registry = applicationserver_pb2_grpc.AsEndDeviceRegistryStub(channel)
        await _set_device(registry, "devapp", "dev-a")
        await asyncio.wait_for(ns.linked_event("devapp").wait(), 10)
        await _set_device(registry, "devapp", "dev-b")
        await _set_device(registry, "devapp", "dev-a")  # an update counts the device once

        await registry.Delete(device_ids("devapp", "dev-a"), metadata=auth())
        await asyncio.sleep(0.3)
        assert ns.linked_event("devapp").is_set(), "one device is left, the link stays"

        await registry.Delete(device_ids("devapp", "dev-b"), metadata=auth())
        await wait_until(lambda: not ns.linked_event("devapp").is_set())
