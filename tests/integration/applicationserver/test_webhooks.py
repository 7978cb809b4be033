"""Webhooks against a receiver on localhost: headers and paths, retries while it is down, nothing lost
across an AS restart in the middle of the stream, and the webhook registry over REST."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import aiohttp
import grpc
from aiohttp import web

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, join_accept, uplink, wait_until
from lorastack.events import EventBus
from ttn.lorawan.v3 import applicationserver_pb2, applicationserver_pb2_grpc, identifiers_pb2


class Receiver:
    """An HTTP server that records requests and answers 503 while ``down`` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.refused = 0
        self.down = False
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.down:
            self.refused += 1
            return web.Response(status=503)
        self.requests.append((request.path, dict(request.headers), json.loads(await request.read())))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def _setup(h: ASHarness, app_id: str, receiver: Receiver) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        resp = await http.put(
            f"{h.base_url}/as/webhooks/{app_id}/hook1",
            json={
                "webhook": {
                    "base_url": f"http://127.0.0.1:{receiver.port}/base/",
                    "headers": {"X-Secret": "s3"},
                    "format": "json",
                    "downlink_api_key": "NNSXS.DOWN.KEY",
                    "uplink_message": {"path": "/uplinks"},
                    "join_accept": {"path": "joins"},
                },
                "field_mask": {
                    "paths": ["base_url", "headers", "format", "downlink_api_key", "uplink_message", "join_accept"]
                },
            },
        )
        assert resp.status == 200, await resp.text()
        formats = await (await http.get(f"{h.base_url}/as/webhook-formats")).json()
        assert formats["formats"]["json"] == "JSON"
        listed = await (await http.get(f"{h.base_url}/as/webhooks/{app_id}")).json()
        assert [w["ids"]["webhook_id"] for w in listed["webhooks"]] == ["hook1"]
    async with grpc.aio.insecure_channel(h.grpc_target) as channel:
        await applicationserver_pb2_grpc.AsStub(channel).SetLink(
            applicationserver_pb2.SetApplicationLinkRequest(
                application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
                link=applicationserver_pb2.ApplicationLink(),
            ),
            metadata=(("authorization", f"Bearer {TOKEN}"),),
        )
    await asyncio.wait_for(h.peers.ns.linked_event(app_id).wait(), 10)


async def test_webhook_gets_uplinks_with_headers_and_paths_and_retries(harness: ASHarness) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        harness.peers.identity.grant(TOKEN, "app-w", *ALL_APP)
        harness.peers.js.keys[b"sk-w"] = APP_S_KEY
        await harness.start()
        await _setup(harness, "app-w", receiver)
        ns = harness.peers.ns
        ns.queue("app-w").put_nowait(join_accept("app-w", "dev1", b"sk-w"))
        await wait_until(lambda: len(receiver.requests) == 1)
        path, headers, body = receiver.requests[0]
        assert path == "/base/joins"
        assert headers["X-Secret"] == "s3" and headers["X-Downlink-Apikey"] == "NNSXS.DOWN.KEY"
        assert headers["Content-Type"] == "application/json"
        assert body["end_device_ids"]["device_id"] == "dev1" and "join_accept" in body

        receiver.down = True
        for f_cnt in range(1, 4):
            ns.queue("app-w").put_nowait(uplink("app-w", "dev1", b"sk-w", f_cnt, b"hi"))
        await wait_until(lambda: receiver.refused >= 2)
        receiver.down = False
        await wait_until(lambda: len(receiver.requests) == 4)
        assert [r[0] for r in receiver.requests[1:]] == ["/base/uplinks"] * 3
        assert [r[2]["uplink_message"]["f_cnt"] for r in receiver.requests[1:]] == [1, 2, 3]
    finally:
        await receiver.stop()


async def test_restart_mid_stream_loses_nothing(harness: ASHarness) -> None:
    receiver = Receiver()
    await receiver.start()
    total = 40
    try:
        harness.peers.identity.grant(TOKEN, "app-r", *ALL_APP)
        harness.peers.js.keys[b"sk-r"] = APP_S_KEY
        await harness.start()
        await _setup(harness, "app-r", receiver)
        ns = harness.peers.ns
        ns.queue("app-r").put_nowait(join_accept("app-r", "dev1", b"sk-r"))
        receiver.down = True  # the first half piles up in the stream, unacknowledged by the webhooks group
        for f_cnt in range(1, total // 2 + 1):
            ns.queue("app-r").put_nowait(uplink("app-r", "dev1", b"sk-r", f_cnt, bytes([f_cnt])))
        await wait_until(lambda: ns.acks.get("app-r", 0) == total // 2 + 1)
        await harness.stop()
        receiver.down = False
        await harness.start()
        await asyncio.wait_for(ns.linked_event("app-r").wait(), 10)
        for f_cnt in range(total // 2 + 1, total + 1):
            ns.queue("app-r").put_nowait(uplink("app-r", "dev1", b"sk-r", f_cnt, bytes([f_cnt])))
        await wait_until(lambda: len([r for r in receiver.requests if r[0] == "/base/uplinks"]) >= total, 20)
        counts = [r[2]["uplink_message"]["f_cnt"] for r in receiver.requests if r[0] == "/base/uplinks"]
        assert sorted(set(counts)) == list(range(1, total + 1))
    finally:
        await receiver.stop()


async def test_failing_webhook_is_marked_unhealthy_with_events(harness: ASHarness) -> None:
    receiver = Receiver()
    await receiver.start()
    receiver.down = True
    harness.config = dataclasses.replace(harness.config, as_webhook_retries=1, as_webhook_unhealthy_attempts=2)
    config = harness.config
    bus = EventBus(config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix)
    try:
        harness.peers.identity.grant(TOKEN, "app-u", *ALL_APP)
        harness.peers.js.keys[b"sk-u"] = APP_S_KEY
        await harness.start()
        await bus.start()
        await _setup(harness, "app-u", receiver)
        ns = harness.peers.ns
        async with bus.subscribe(
            [identifiers_pb2.ApplicationIdentifiers(application_id="app-u")], ["as.webhook.fail", "as.webhook.disable"]
        ) as seen:
            ns.queue("app-u").put_nowait(join_accept("app-u", "dev1", b"sk-u"))
            for f_cnt in range(1, 4):
                ns.queue("app-u").put_nowait(uplink("app-u", "dev1", b"sk-u", f_cnt, b"x"))
            names = [(await asyncio.wait_for(seen.__anext__(), 10)).name for _ in range(3)]
        # One consumer per event name: the two names may arrive in either order.
        assert sorted(names) == ["as.webhook.disable", "as.webhook.fail", "as.webhook.fail"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            hook = await (await http.get(f"{harness.base_url}/as/webhooks/app-u/hook1")).json()
        assert int(hook["health_status"]["unhealthy"]["failed_attempts"]) == 2
        # Two messages failed (join and first uplink, each tried twice); the rest were skipped while suspended.
        await asyncio.sleep(0.3)
        assert receiver.refused == 4
    finally:
        await bus.close()
        await receiver.stop()
