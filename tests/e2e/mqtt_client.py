"""A paho-mqtt client for tests: its network thread puts every message into a queue the test awaits."""

from __future__ import annotations

import asyncio
import json
import queue
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

__all__ = ["MqttClient"]


class MqttClient:
    def __init__(self, port: int, username: str, password: str) -> None:
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._acks: queue.Queue[object] = queue.Queue()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"e2e-{username}-{id(self)}")
        self._client.username_pw_set(username, password)
        self._client.on_connect = lambda client, userdata, flags, rc, props: self._acks.put(rc)
        self._client.on_subscribe = lambda client, userdata, mid, codes, props: self._acks.put(codes)
        self._client.on_message = lambda client, userdata, msg: self.messages.put((msg.topic, json.loads(msg.payload)))
        self._port = port

    async def connect(self) -> None:
        self._client.connect("127.0.0.1", self._port)
        self._client.loop_start()
        code = await asyncio.to_thread(self._acks.get, True, 10)
        if getattr(code, "is_failure", False):
            raise ConnectionError(f"MQTT connect refused: {code}")

    async def subscribe(self, topic: str) -> None:
        self._client.subscribe(topic, 1)
        codes = await asyncio.to_thread(self._acks.get, True, 10)
        if any(getattr(c, "is_failure", False) for c in codes):  # type: ignore[attr-defined]
            raise PermissionError(f"MQTT subscription refused: {codes}")

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        self._client.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)

    async def next(self, suffix: str, timeout: float = 20.0) -> tuple[str, dict[str, Any]]:
        """The next message whose topic ends with ``suffix``; others are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no MQTT message on */{suffix} in {timeout:.0f}s")
            try:
                topic, body = await asyncio.to_thread(self.messages.get, True, min(left, 1.0))
            except queue.Empty:
                continue
            if topic.endswith(suffix):
                return topic, body

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
