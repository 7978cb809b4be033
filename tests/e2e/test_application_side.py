"""End to end through the five real processes: an OTAA join and a decoded uplink on MQTT, a webhook and
AppAs.Subscribe; a confirmed downlink pushed over MQTT, received in RX1 or RX2 and acknowledged; class C."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from aiohttp import web

from e2e.harness import E2E, join_all, links_to, start_e2e, wait_idle, wait_until
from e2e.mqtt_client import MqttClient
from lorastack.sim.device import DeviceClass
from support import free_port
from ttn.lorawan.v3 import (
    applicationserver_pb2_grpc,
    applicationserver_web_pb2,
    applicationserver_web_pb2_grpc,
    identifiers_pb2,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def e2e(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[E2E]:
    async for harness in start_e2e(tmp_path_factory.mktemp("e2e-app")):
        yield harness


class WebhookReceiver:
    """An aiohttp server on localhost that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def _receive(self, request: web.Request) -> web.Response:
        await self.bodies.put((request.path, await request.json()))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _add_webhook(e2e: E2E, app_id: str, url: str) -> None:
    hook = applicationserver_web_pb2.ApplicationWebhook(
        ids=applicationserver_web_pb2.ApplicationWebhookIdentifiers(
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id), webhook_id="receiver"
        ),
        base_url=url,
        format="json",
    )
    hook.uplink_message.path = "/up"
    async with grpc.aio.insecure_channel(e2e.endpoints.application_server) as channel:
        await applicationserver_web_pb2_grpc.ApplicationWebhookRegistryStub(channel).Set(
            applicationserver_web_pb2.SetApplicationWebhookRequest(
                webhook=hook, field_mask={"paths": ["base_url", "format", "uplink_message"]}
            ),
            metadata=e2e.admin_metadata(),
        )


async def test_join_then_uplink_is_decoded_on_mqtt_webhook_and_subscribe(e2e: E2E) -> None:
    app_id = "e2e-up"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-up", 1)
    receiver = WebhookReceiver()
    await receiver.start()
    mqtt = MqttClient(e2e.mqtt_port, app_id, key)
    try:
        await _add_webhook(e2e, app_id, f"http://127.0.0.1:{receiver.port}/hook")
        await mqtt.connect()
        await mqtt.subscribe(f"v3/{app_id}/devices/+/up")
        async with grpc.aio.insecure_channel(e2e.endpoints.application_server) as channel:
            stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
                identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
                metadata=(("authorization", f"Bearer {key}"),),
            )
            (device,) = await e2e.add_devices(app_id, "e2e-up", 1, links_to(gateways))
            await join_all([device])
            await wait_idle(device)
            device.send_uplink(payload=bytes([0x01, 0x10]))
            expected = {"celsius": 27.2, "port": 1}

            topic, body = await mqtt.next("/up")
            assert topic == f"v3/{app_id}/devices/{device.profile.device_id}/up"
            assert body["uplink_message"]["decoded_payload"] == expected
            assert body["uplink_message"]["frm_payload"] == base64.b64encode(b"\x01\x10").decode()

            path, hooked = await asyncio.wait_for(receiver.bodies.get(), 15)
            assert path == "/hook/up"
            assert hooked["end_device_ids"]["device_id"] == device.profile.device_id
            assert hooked["uplink_message"]["decoded_payload"] == expected

            while True:
                up = await asyncio.wait_for(stream.read(), 15)
                if up.WhichOneof("up") == "uplink_message":
                    break
            stream.cancel()
        assert dict(up.uplink_message.decoded_payload) == expected
        assert up.uplink_message.rx_metadata[0].gateway_ids.gateway_id == gateways[0].gateway_id
    finally:
        mqtt.close()
        await receiver.stop()


async def test_confirmed_downlink_pushed_over_mqtt_is_received_and_acknowledged(e2e: E2E) -> None:
    app_id = "e2e-down"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-down", 1)
    (device,) = await e2e.add_devices(app_id, "e2e-down", 1, links_to(gateways))
    mqtt = MqttClient(e2e.mqtt_port, app_id, key)
    try:
        await mqtt.connect()
        await mqtt.subscribe(f"v3/{app_id}/devices/+/down/#")
        await join_all([device])
        await wait_idle(device)
        dev_id = device.profile.device_id
        payload = b"\x2a\x07"
        downlink = {"f_port": 3, "frm_payload": base64.b64encode(payload).decode(), "confirmed": True}
        mqtt.publish(f"v3/{app_id}/devices/{dev_id}/down/push", {"downlinks": [downlink]})
        await mqtt.next("/down/queued")
        device.send_uplink(payload=b"\x00\x01")
        await wait_until(lambda: (3, payload) in device.received, what="downlink received by the device")
        assert device.counters.downlinks_rx1 + device.counters.downlinks_rx2 >= 1
        await wait_idle(device)
        device.send_uplink(payload=b"\x00\x02")  # carries the ACK
        _, acked = await mqtt.next("/down/ack")
        assert acked["downlink_ack"]["f_port"] == 3
        assert base64.b64decode(acked["downlink_ack"]["frm_payload"]) == payload
    finally:
        mqtt.close()


async def test_class_c_downlink_arrives_without_an_uplink(e2e: E2E) -> None:
    app_id = "e2e-classc"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-classc", 1)
    (device,) = await e2e.add_devices(app_id, "e2e-classc", 1, links_to(gateways), device_class=DeviceClass.C)
    mqtt = MqttClient(e2e.mqtt_port, app_id, key)
    try:
        await mqtt.connect()
        await join_all([device])
        await wait_idle(device)
        device.send_uplink(payload=b"\x00\x01")
        await wait_idle(device)
        before = device.counters.downlinks_rxc
        payload = b"\xc0\xff\xee"
        downlink = {"f_port": 5, "frm_payload": base64.b64encode(payload).decode()}
        mqtt.publish(f"v3/{app_id}/devices/{device.profile.device_id}/down/push", {"downlinks": [downlink]})
        await wait_until(lambda: (5, payload) in device.received, what="class C downlink received")
        assert device.counters.downlinks_rxc > before
        assert not device.busy
    finally:
        mqtt.close()
