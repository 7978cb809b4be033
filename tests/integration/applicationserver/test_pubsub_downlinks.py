"""Pub/sub downlinks: DownlinkQueueRequests published on the user's NATS server and Mosquitto, on the pub/sub's
``down/push`` and ``down/replace`` topics, reach the (fake) NS queue; a request for another application does not."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import nats
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, decrypt_down, join_accept, wait_until

MOSQUITTO = ("127.0.0.1", 1883)


def _request(app_id: str, payload: bytes, f_port: int = 5) -> bytes:
    body = {
        "end_device_ids": {"device_id": "dev1", "application_ids": {"application_id": app_id}},
        "downlinks": [{"f_port": f_port, "frm_payload": base64.b64encode(payload).decode(), "priority": "NORMAL"}],
    }
    return json.dumps(body).encode()


async def _put(h: ASHarness, app_id: str, pub_sub_id: str, body: dict[str, object]) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        resp = await http.put(f"{h.base_url}/as/pubsub/{app_id}/{pub_sub_id}", json={"pubsub": body})
        assert resp.status == 200, await resp.text()
        resp = await http.put(f"{h.base_url}/as/applications/{app_id}/link", json={"link": {}})
        assert resp.status == 200, await resp.text()


async def _joined(h: ASHarness, app_id: str) -> None:
    ns = h.peers.ns
    await asyncio.wait_for(ns.linked_event(app_id).wait(), 10)
    ns.queue(app_id).put_nowait(join_accept(app_id, "dev1", b"sk-d"))
    await wait_until(lambda: ns.acks.get(app_id, 0) == 1)


async def test_nats_downlink_push_and_replace(harness: ASHarness, unique_name: str) -> None:
    harness.peers.identity.grant(TOKEN, "app-d", *ALL_APP)
    harness.peers.js.keys[b"sk-d"] = APP_S_KEY
    await harness.start()
    await _put(
        harness,
        "app-d",
        "down-nats",
        {
            "nats": {"server_url": harness.config.nats_url},
            "base_topic": unique_name,
            "format": "json",
            "downlink_push": {"topic": "down.push"},
            "downlink_replace": {"topic": "down.replace"},
        },
    )
    await _joined(harness, "app-d")
    ns = harness.peers.ns
    nc = await nats.connect(harness.config.nats_url)
    try:
        await nc.publish(f"{unique_name}.down.push", _request("app-d", b"\x01\x02"))
        await wait_until(lambda: len(ns.pushed) == 1)
        pushed = ns.pushed[0].downlinks[0]
        assert pushed.f_port == 5 and pushed.session_key_id == b"sk-d"
        assert decrypt_down(pushed.f_cnt, pushed.frm_payload) == b"\x01\x02"

        await nc.publish(f"{unique_name}.down.replace", _request("app-d", b"\x03"))
        await wait_until(lambda: len(ns.replaced) == 1)
        assert decrypt_down(ns.replaced[0].downlinks[0].f_cnt, ns.replaced[0].downlinks[0].frm_payload) == b"\x03"

        # Another application's device, and a body that is not a request: both dropped.
        await nc.publish(f"{unique_name}.down.push", _request("app-other", b"\x04"))
        await nc.publish(f"{unique_name}.down.push", b"not json")
        await nc.flush()
        await asyncio.sleep(0.3)
        assert len(ns.pushed) == 1

        # Deleting the pub/sub ends the subscription.
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            resp = await http.delete(f"{harness.base_url}/as/pubsub/app-d/down-nats")
            assert resp.status == 200
        await nc.publish(f"{unique_name}.down.push", _request("app-d", b"\x05"))
        await nc.flush()
        await asyncio.sleep(0.3)
        assert len(ns.pushed) == 1
    finally:
        await nc.close()


async def test_mqtt_downlink_push(harness: ASHarness, unique_name: str) -> None:
    harness.peers.identity.grant(TOKEN, "app-q", *ALL_APP)
    harness.peers.js.keys[b"sk-d"] = APP_S_KEY
    await harness.start()
    await _put(
        harness,
        "app-q",
        "down-mqtt",
        {
            "mqtt": {
                "server_url": f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}",
                "client_id": f"as-{unique_name}",
                "subscribe_qos": "AT_LEAST_ONCE",
            },
            "base_topic": unique_name,
            "format": "json",
            "downlink_push": {"topic": "down/push"},
            "downlink_replace": {"topic": "down/replace"},
        },
    )
    await _joined(harness, "app-q")
    ns = harness.peers.ns
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        client.publish(f"{unique_name}/down/push", _request("app-q", b"\x11"), qos=1).wait_for_publish(5)
        await wait_until(lambda: len(ns.pushed) == 1)
        assert decrypt_down(ns.pushed[0].downlinks[0].f_cnt, ns.pushed[0].downlinks[0].frm_payload) == b"\x11"
        client.publish(f"{unique_name}/down/replace", _request("app-q", b"\x12"), qos=1).wait_for_publish(5)
        await wait_until(lambda: len(ns.replaced) == 1)
        assert decrypt_down(ns.replaced[0].downlinks[0].f_cnt, ns.replaced[0].downlinks[0].frm_payload) == b"\x12"
    finally:
        client.loop_stop()
        client.disconnect()
