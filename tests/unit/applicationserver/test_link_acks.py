"""The AS end of AsNs.LinkApplication answers each ApplicationUp with one Empty, and only once the message is
in the uplink stream: a message it failed to store is never acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc

from applicationserver.link import LinkManager
from applicationserver.observability import ASMetrics
from applicationserver.ports import NullPublisher
from applicationserver.tenancy import Tenancy
from integration.applicationserver.fakes import FakeNetworkServer
from integration.applicationserver.helpers import wait_until
from lorastack.metrics import Metrics
from ttn.lorawan.v3 import applicationserver_pb2, messages_pb2, networkserver_pb2_grpc


class _Links:
    async def get(self, app_key: str) -> applicationserver_pb2.ApplicationLink:
        return applicationserver_pb2.ApplicationLink()

    async def app_keys(self) -> list[str]:
        return ["app1@acme"]

    async def record_linked(self, app_key: str, ns_address: str) -> None:
        return None

    async def record_up(self, app_key: str, count: int = 1) -> None:
        return None


class _Upstream:
    """Fails to store the first message, as a Redis outage would."""

    def __init__(self) -> None:
        self.failures_left = 1
        self.stored: list[tuple[str, int]] = []

    async def append(self, app_key: str, ups: Sequence[messages_pb2.ApplicationUp]) -> list[str]:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("redis is away")
        self.stored.extend((app_key, up.uplink_message.f_cnt) for up in ups)
        return [str(len(self.stored))]


class _PassThrough:
    async def process_batch(
        self,
        key: str,
        ups: Sequence[messages_pb2.ApplicationUp],
        link: applicationserver_pb2.ApplicationLink | None,
    ) -> list[messages_pb2.ApplicationUp]:
        return list(ups)


def _up(f_cnt: int) -> messages_pb2.ApplicationUp:
    up = messages_pb2.ApplicationUp()
    up.end_device_ids.application_ids.application_id = "app1"
    up.end_device_ids.device_id = "dev1"
    up.uplink_message.f_cnt = f_cnt
    return up


async def test_only_stored_messages_are_acknowledged() -> None:
    ns = FakeNetworkServer()
    server = grpc.aio.server()
    networkserver_pb2_grpc.add_AsNsServicer_to_server(ns, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    upstream = _Upstream()
    manager = LinkManager(
        links=_Links(),  # type: ignore[arg-type]
        processor=_PassThrough(),  # type: ignore[arg-type]
        upstream=upstream,  # type: ignore[arg-type]
        network_server=lambda: channel,
        network_server_address=lambda: f"127.0.0.1:{port}",
        metadata=lambda: (("authorization", "ClusterKey x"),),
        publisher=NullPublisher(),
        metrics=ASMetrics.create(Metrics("as")),
        tenancy=Tenancy("default"),
        backoff=(0.01, 0.05),
    )
    task = asyncio.create_task(manager.run())
    try:
        await asyncio.wait_for(ns.linked_event("app1@acme").wait(), 5)
        assert ns.link_metadata["app1@acme"]["id"] == "app1"
        ns.queue("app1@acme").put_nowait(_up(1))
        await wait_until(lambda: upstream.failures_left == 0, 5)
        # The broken stream's handler at the fake NS must be gone before the next messages are queued,
        # or it could take one of them with it.
        await asyncio.sleep(0.3)
        await asyncio.wait_for(ns.linked_event("app1@acme").wait(), 5)
        for f_cnt in (2, 3):
            ns.queue("app1@acme").put_nowait(_up(f_cnt))
        await wait_until(lambda: len(upstream.stored) == 2, 5)
        await wait_until(lambda: ns.acks.get("app1@acme", 0) == 2, 5)
        # The first message broke the link before its Empty went out; the NS still owes it (at least once).
        assert upstream.stored == [("app1@acme", 2), ("app1@acme", 3)]
        await asyncio.sleep(0.1)
        assert ns.acks["app1@acme"] == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await channel.close()
        await server.stop(0)
