"""Application MQTT with a real client (paho-mqtt): API-key login, decoded uplinks, downlink push to the
(fake) NS queue, and refusals for a wrong password or another application's topic."""

from __future__ import annotations

import asyncio
import base64
import json
import queue
from typing import Any

import grpc
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import (
    ALL_APP,
    APP_S_KEY,
    DECODER,
    TOKEN,
    decrypt_down,
    join_accept,
    uplink,
    wait_until,
)
from ttn.lorawan.v3 import applicationserver_pb2, applicationserver_pb2_grpc, identifiers_pb2, messages_pb2, rights_pb2


class Client:
    """paho in its own network thread; received messages land in a thread-safe queue."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected: queue.Queue[Any] = queue.Queue()
        self.subscribed: queue.Queue[list[Any]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"c-{username}-{id(self)}")
        self.client.username_pw_set(username, password)
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.put(rc)
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload))
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.subscribed.put(list(codes))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    async def connect_result(self) -> Any:
        return await asyncio.to_thread(self.connected.get, True, 10)

    async def subscribe(self, topic: str, qos: int) -> list[Any]:
        self.client.subscribe(topic, qos)
        return await asyncio.to_thread(self.subscribed.get, True, 10)

    async def message(self) -> tuple[str, bytes]:
        return await asyncio.to_thread(self.messages.get, True, 10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def _link(h: ASHarness, app_id: str) -> None:
    async with grpc.aio.insecure_channel(h.grpc_target) as channel:
        link = applicationserver_pb2.ApplicationLink()
        link.default_formatters.up_formatter = messages_pb2.FORMATTER_JAVASCRIPT
        link.default_formatters.up_formatter_parameter = DECODER
        link.default_formatters.down_formatter = messages_pb2.FORMATTER_JAVASCRIPT
        link.default_formatters.down_formatter_parameter = DECODER
        await applicationserver_pb2_grpc.AsStub(channel).SetLink(
            applicationserver_pb2.SetApplicationLinkRequest(
                application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
                link=link,
                field_mask={"paths": ["default_formatters"]},
            ),
            metadata=(("authorization", f"Bearer {TOKEN}"),),
        )
    await asyncio.wait_for(h.peers.ns.linked_event(app_id).wait(), 10)


async def test_mqtt_uplink_and_downlink(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app-m", *ALL_APP)
    harness.peers.identity.grant("other-key", "app-x", *ALL_APP)
    harness.peers.js.keys[b"sk-m"] = APP_S_KEY
    await harness.start()
    await _link(harness, "app-m")
    port = int(harness.config.as_mqtt_address.rpartition(":")[2])

    client = Client(port, "app-m", TOKEN)
    try:
        assert str(await client.connect_result()) == "Success"
        assert [str(c) for c in await client.subscribe("v3/app-m/devices/+/up", 1)] == ["Granted QoS 1"]
        assert [str(c) for c in await client.subscribe("v3/app-m/devices/+/down/#", 0)] == ["Granted QoS 0"]
        assert "Unspecified error" in str(await client.subscribe("v3/app-x/devices/+/up", 0))
        assert "Unspecified error" in str(await client.subscribe("#", 0))

        ns = harness.peers.ns
        ns.queue("app-m").put_nowait(join_accept("app-m", "dev1", b"sk-m"))
        ns.queue("app-m").put_nowait(uplink("app-m", "dev1", b"sk-m", 3, bytes([0x00, 0xFA])))
        topic, payload = await client.message()
        body = json.loads(payload)
        assert topic == "v3/app-m/devices/dev1/up"
        assert body["end_device_ids"]["device_id"] == "dev1"
        assert body["uplink_message"]["decoded_payload"] == {"temperature": 25.0, "port": 1}
        assert base64.b64decode(body["uplink_message"]["frm_payload"]) == bytes([0x00, 0xFA])
        assert body["uplink_message"]["f_cnt"] == 3
        assert body["uplink_message"]["rx_metadata"][0]["gateway_ids"]["gateway_id"] == "gtw-1"

        down = {"downlinks": [{"decoded_payload": {"level": 9}, "priority": "NORMAL"}]}
        client.client.publish("v3/app-m/devices/dev1/down/push", json.dumps(down), qos=1)
        await wait_until(lambda: len(ns.pushed) == 1)
        pushed = ns.pushed[0].downlinks[0]
        assert pushed.f_port == 7 and pushed.f_cnt == 1 and pushed.session_key_id == b"sk-m"
        assert decrypt_down(1, pushed.frm_payload) == bytes([9])

        # A refused downlink comes back on down/failed.
        ns.refuse_downlinks = True
        client.client.publish("v3/app-m/devices/dev1/down/push", json.dumps(down), qos=0)
        topic, payload = await client.message()
        assert topic == "v3/app-m/devices/dev1/down/failed"
        assert json.loads(payload)["downlink_failed"]["error"]["name"] == "invalid_downlink"

        # Another application's topic: the publish is dropped.
        client.client.publish("v3/app-x/devices/dev1/down/push", json.dumps(down), qos=1)
        await asyncio.sleep(0.3)
        assert len(ns.pushed) == 1
    finally:
        client.close()


async def test_mqtt_refuses_bad_credentials(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app-m", *ALL_APP)
    harness.peers.identity.grant("read-only", "app-r", rights_pb2.RIGHT_APPLICATION_INFO)
    await harness.start()
    port = int(harness.config.as_mqtt_address.rpartition(":")[2])
    for username, password in (("app-m", "wrong"), ("app-r", "read-only"), ("app-m@other-tenant", TOKEN)):
        client = Client(port, username, password)
        try:
            assert str(await client.connect_result()) != "Success"
        finally:
            client.close()
