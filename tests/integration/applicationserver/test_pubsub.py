"""Pub/sub integrations: uplinks published to a NATS server and to an MQTT server the user names
(the machine's NATS and Mosquitto), configured through the ApplicationPubSubRegistry over REST."""

from __future__ import annotations

import asyncio
import json
import queue

import aiohttp
import nats
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, join_accept, uplink

MOSQUITTO = ("127.0.0.1", 1883)


async def _configure(h: ASHarness, app_id: str, pubsubs: dict[str, dict[str, object]]) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        formats = await (await http.get(f"{h.base_url}/as/pubsub-formats")).json()
        assert "json" in formats["formats"]
        for pub_sub_id, body in pubsubs.items():
            resp = await http.put(f"{h.base_url}/as/pubsub/{app_id}/{pub_sub_id}", json={"pubsub": body})
            assert resp.status == 200, await resp.text()
        resp = await http.put(f"{h.base_url}/as/pubsub/{app_id}/bad", json={"pubsub": {"base_topic": "x"}})
        assert resp.status == 400
        resp = await http.put(f"{h.base_url}/as/applications/{app_id}/link", json={"link": {}})
        assert resp.status == 200


async def test_nats_and_mqtt_providers(harness: ASHarness, unique_name: str) -> None:
    harness.peers.identity.grant(TOKEN, "app-p", *ALL_APP)
    harness.peers.js.keys[b"sk-p"] = APP_S_KEY
    await harness.start()
    nc = await nats.connect(harness.config.nats_url)
    nats_sub = await nc.subscribe(f"{unique_name}.>")
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, m: received.put((m.topic, m.payload))
    client.connect(*MOSQUITTO)
    client.subscribe(f"{unique_name}/#", 1)
    client.loop_start()
    try:
        await _configure(
            harness,
            "app-p",
            {
                "to-nats": {
                    "nats": {"server_url": harness.config.nats_url},
                    "base_topic": unique_name,
                    "format": "json",
                    "uplink_message": {"topic": "up"},
                },
                "to-mqtt": {
                    "mqtt": {"server_url": f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}", "publish_qos": "AT_LEAST_ONCE"},
                    "base_topic": unique_name,
                    "format": "json",
                    "uplink_message": {"topic": "up"},
                    "join_accept": {"topic": "join"},
                },
            },
        )
        await asyncio.sleep(0.5)  # the MQTT subscription is in place at Mosquitto
        ns = harness.peers.ns
        await asyncio.wait_for(ns.linked_event("app-p").wait(), 10)
        ns.queue("app-p").put_nowait(join_accept("app-p", "dev1", b"sk-p"))
        ns.queue("app-p").put_nowait(uplink("app-p", "dev1", b"sk-p", 9, b"\x01"))
        msg = await nats_sub.next_msg(timeout=10)
        assert msg.subject == f"{unique_name}.up"
        assert json.loads(msg.data)["uplink_message"]["f_cnt"] == 9
        topics = {}
        for _ in range(2):
            topic, payload = await asyncio.to_thread(received.get, True, 10)
            topics[topic] = json.loads(payload)
        assert set(topics) == {f"{unique_name}/join", f"{unique_name}/up"}
        assert topics[f"{unique_name}/up"]["end_device_ids"]["device_id"] == "dev1"
    finally:
        client.loop_stop()
        client.disconnect()
        await nc.close()
