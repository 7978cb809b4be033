"""End to end with LoRaWAN 1.1 devices: the join (OptNeg set, 1.1 session keys on both sides), RekeyInd
answered with RekeyConf, a confirmed downlink verified with the 1.1 MIC and counters, and rejoins of
types 2 and 1 after which the device's uplinks in its new session reach the application."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from e2e.harness import E2E, join_all, links_to, start_e2e, wait_idle, wait_until
from e2e.mqtt_client import MqttClient
from lorastack.lorawan import maccommands as mc
from lorastack.sim.device import EndDevice, LoRaWANVersion

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def e2e(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[E2E]:
    async for harness in start_e2e(tmp_path_factory.mktemp("e2e-11")):
        yield harness


async def test_lorawan_1_1_join_rekey_and_confirmed_downlink(e2e: E2E) -> None:
    app_id = "e2e-v11"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-v11", 1)
    (device,) = await e2e.add_devices(app_id, "e2e-v11", 1, links_to(gateways), version=LoRaWANVersion.V1_1)
    mqtt = MqttClient(e2e.mqtt_port, app_id, key)
    try:
        await mqtt.connect()
        await mqtt.subscribe(f"v3/{app_id}/devices/+/#")
        await join_all([device])
        assert device.session is not None and device.session.lorawan_1_1
        # Distinct 1.1 network keys prove OptNeg was set and the JS derived 1.1 keys.
        assert device.session.f_nwk_s_int_key != device.session.s_nwk_s_int_key
        await wait_idle(device)
        device.send_uplink(payload=bytes([0x00, 0xC8]))
        _, up = await mqtt.next("/up")
        assert up["uplink_message"]["decoded_payload"] == {"celsius": 20.0, "port": 1}
        # The uplink carried RekeyInd; the NS answers RekeyConf and the device stops indicating.
        await wait_until(lambda: not device.busy, what="receive windows over")
        assert not any(isinstance(i, mc.RekeyInd) for i in device._indications), device.counters.as_dict()

        payload = b"\x11"
        downlink = {"f_port": 9, "frm_payload": base64.b64encode(payload).decode(), "confirmed": True}
        mqtt.publish(f"v3/{app_id}/devices/{device.profile.device_id}/down/push", {"downlinks": [downlink]})
        await mqtt.next("/down/queued")
        device.send_uplink(payload=bytes([0x00, 0x01]))
        await wait_until(lambda: (9, payload) in device.received, what="1.1 downlink received")
        assert device.counters.mic_failures == 0 and device.counters.f_cnt_errors == 0
        await wait_idle(device)
        device.send_uplink(payload=bytes([0x00, 0x02]))
        _, acked = await mqtt.next("/down/ack")
        assert base64.b64decode(acked["downlink_ack"]["frm_payload"]) == payload
    finally:
        mqtt.close()


async def _rejoin(device: EndDevice, rejoin_type: int, timeout: float = 40.0) -> None:
    """Send rejoin-requests (a new one, with the next RJcount, whenever the last one's windows have passed)
    until a rejoin-accept gives the device a new session."""
    before = device.counters.rejoins
    deadline = time.monotonic() + timeout
    while device.counters.rejoins == before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no rejoin-accept for type {rejoin_type}: {device.counters.as_dict()}")
        if not device.busy:
            device.send_rejoin(rejoin_type)
        await asyncio.sleep(0.1)


async def test_lorawan_1_1_rejoin_types_2_and_1_move_the_device_to_a_new_session(e2e: E2E) -> None:
    app_id = "e2e-rejoin"
    key = await e2e.application(app_id)
    gateways = await e2e.start_gateways("e2e-rejoin", 1)
    (device,) = await e2e.add_devices(app_id, "e2e-rejoin", 1, links_to(gateways), version=LoRaWANVersion.V1_1)
    mqtt = MqttClient(e2e.mqtt_port, app_id, key)
    try:
        await mqtt.connect()
        await mqtt.subscribe(f"v3/{app_id}/devices/+/#")
        await join_all([device])
        await wait_idle(device)
        device.send_uplink(payload=bytes([0x00, 0xC8]))
        await mqtt.next("/up")
        await wait_idle(device)
        # Type 2 is signed with the session's SNwkSIntKey (checked by the NS), type 1 with JSIntKey (by the JS).
        for celsius, rejoin_type in ((21.0, 2), (22.0, 1)):
            old = device.session
            assert old is not None
            await _rejoin(device, rejoin_type)
            new = device.session
            assert new is not None and new is not old
            assert new.dev_addr != old.dev_addr and new.app_s_key != old.app_s_key
            await wait_idle(device)
            device.send_uplink(payload=bytes([0x00, int(celsius * 10)]))
            _, up = await mqtt.next("/up")
            # Decoded with the new AppSKey, which the AS fetched from the JS for the new session.
            assert up["uplink_message"]["decoded_payload"] == {"celsius": celsius, "port": 1}
            assert up["end_device_ids"]["dev_addr"] == new.dev_addr.value.hex().upper()
            await wait_idle(device)
        assert device.counters.mic_failures == 0 and device.counters.join_accept_mic_failures == 0
    finally:
        mqtt.close()
