"""End to end under failure: the Network Server is killed (SIGKILL) in the middle of traffic and started
again; every uplink the devices sent still reaches the application, once: those it had taken it finishes
from Redis when it starts again, before new ones; those sent while it was down the GS retries, in order."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from e2e.harness import E2E, join_all, links_to, start_e2e, wait_idle, wait_until
from lorastack.devcluster import MODULES
from lorastack.sim.device import EndDevice
from ttn.lorawan.v3 import applicationserver_pb2_grpc, identifiers_pb2

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def e2e(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[E2E]:
    async for harness in start_e2e(tmp_path_factory.mktemp("e2e-restart")):
        yield harness


async def _kill_and_restart(e2e: E2E, role: str, down_for: float) -> None:
    rp = e2e.cluster.roles[role]
    assert rp.process is not None and rp.log_file is not None
    rp.process.send_signal(signal.SIGKILL)
    await rp.process.wait()
    await asyncio.sleep(down_for)
    rp.process = await asyncio.create_subprocess_exec(
        e2e.cluster.python, "-m", MODULES[role],
        env=rp.env, stdout=rp.log_file, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    await e2e.cluster.wait_ready(timeout=30)


async def _talk(device: EndDevice, until: float) -> None:
    while time.monotonic() < until:
        await wait_idle(device)
        device.send_uplink(payload=b"\x00\x01")
        await asyncio.sleep(0.3)


async def test_no_uplink_is_lost_when_the_network_server_is_killed(e2e: E2E) -> None:
    app_id = "e2e-restart"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-restart", 2)
    devices = await e2e.add_devices(app_id, "e2e-restart", 6, links_to(gateways), formatter=None)
    seen: dict[str, list[int]] = {d.profile.device_id: [] for d in devices}

    async def collect(stream: grpc.aio.UnaryStreamCall) -> None:
        async for up in stream:
            if up.WhichOneof("up") == "uplink_message":
                seen[up.end_device_ids.device_id].append(up.uplink_message.f_cnt)

    async with grpc.aio.insecure_channel(e2e.endpoints.application_server) as channel:
        stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
            identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
            metadata=(("authorization", f"Bearer {key}"),),
        )
        collector = asyncio.create_task(collect(stream))
        try:
            await join_all(devices)
            until = time.monotonic() + 14.0
            talking = [asyncio.create_task(_talk(d, until)) for d in devices]
            await asyncio.sleep(5.0)
            # Killed right after an uplink, while its dedup window is open, and down long enough that the
            # GS retries the uplinks sent meanwhile (a device's later frame must not overtake them).
            sent_before = devices[0].counters.uplinks
            await wait_until(lambda: devices[0].counters.uplinks > sent_before, timeout=5, what="an uplink")
            await asyncio.sleep(0.1)
            await _kill_and_restart(e2e, "ns", down_for=3.0)
            await asyncio.gather(*talking)
            sent = {d.profile.device_id: d.counters.uplinks for d in devices}
            await wait_until(
                lambda: all(len(set(seen[dev])) >= count for dev, count in sent.items()),
                timeout=30,
                what="every uplink at the application",
            )
            await asyncio.sleep(1.0)
        finally:
            stream.cancel()
            collector.cancel()
    for dev, count in sent.items():
        assert sorted(seen[dev]) == list(range(count)), dev
    assert sum(sent.values()) >= 30
