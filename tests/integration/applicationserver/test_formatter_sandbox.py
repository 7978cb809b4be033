"""Broken device formatters (endless loop, memory bomb) fail only their own uplinks: those arrive undecoded
with an ``as.up.data.decode.fail`` event, while other devices' uplinks keep flowing decoded."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import grpc

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, join_accept, uplink
from lorastack.events import EventBus
from ttn.lorawan.v3 import applicationserver_pb2_grpc, identifiers_pb2

LOOP = "function decodeUplink(input) { while (true) {} }"
BOMB = "function decodeUplink(input) { var a = []; while (true) { a.push(new Array(100000).fill(1)); } }"


async def _put(http: aiohttp.ClientSession, url: str, body: dict[str, object]) -> None:
    resp = await http.put(url, json=body)
    assert resp.status == 200, await resp.text()


async def test_broken_formatters_do_not_hold_up_other_devices(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app-f", *ALL_APP)
    for dev in ("bad", "bomb", "good"):
        harness.peers.js.keys[f"sk-{dev}".encode()] = APP_S_KEY
    await harness.start()
    base = harness.base_url
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        await _put(
            http,
            f"{base}/as/applications/app-f/link",
            {"link": {"default_formatters": {"up_formatter": "FORMATTER_CAYENNELPP"}}},
        )
        for dev, script in (("bad", LOOP), ("bomb", BOMB)):
            await _put(
                http,
                f"{base}/as/applications/app-f/devices/{dev}",
                {
                    "end_device": {
                        "ids": {"device_id": dev, "application_ids": {"application_id": "app-f"}},
                        "formatters": {"up_formatter": "FORMATTER_JAVASCRIPT", "up_formatter_parameter": script},
                    },
                    "field_mask": {"paths": ["formatters"]},
                },
            )
    ns = harness.peers.ns
    await asyncio.wait_for(ns.linked_event("app-f").wait(), 10)
    config = harness.config
    bus = EventBus(config.nats_url, stream=config.events_stream, subject_prefix=config.events_subject_prefix)
    await bus.start()
    try:
        async with (
            grpc.aio.insecure_channel(harness.grpc_target) as channel,
            bus.subscribe(
                [identifiers_pb2.ApplicationIdentifiers(application_id="app-f")], ["as.up.data.decode.fail"]
            ) as failures,
        ):
            stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
                identifiers_pb2.ApplicationIdentifiers(application_id="app-f"),
                metadata=(("authorization", f"Bearer {TOKEN}"),),
            )
            await asyncio.sleep(0.3)
            for dev in ("bad", "bomb", "good"):
                ns.queue("app-f").put_nowait(join_accept("app-f", dev, f"sk-{dev}".encode()))
            rounds = 5
            started = time.perf_counter()
            for f_cnt in range(1, rounds + 1):
                for dev in ("bad", "bomb", "good"):
                    ns.queue("app-f").put_nowait(
                        uplink("app-f", dev, f"sk-{dev}".encode(), f_cnt, bytes.fromhex("0167010E"))
                    )
            got: dict[str, list[dict[str, float]]] = {"bad": [], "bomb": [], "good": []}
            while sum(len(v) for v in got.values()) < 3 * rounds:
                up = await asyncio.wait_for(stream.read(), 10)
                if up.WhichOneof("up") == "uplink_message":
                    got[up.end_device_ids.device_id].append(dict(up.uplink_message.decoded_payload))
            elapsed = time.perf_counter() - started
            stream.cancel()
            assert got["good"] == [{"temperature_1": 27.0}] * rounds
            assert got["bad"] == [{}] * rounds and got["bomb"] == [{}] * rounds
            # Each endless loop costs at most its 100 ms limit; the memory bomb stops sooner.
            assert elapsed < rounds * 0.1 + 3.0
            first = await asyncio.wait_for(failures.__anext__(), 10)
            assert first.name == "as.up.data.decode.fail"
    finally:
        await bus.close()
