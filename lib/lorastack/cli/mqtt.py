"""``lorastack applications mqtt-subscribe``: what the Application Server publishes on its MQTT server
(The Things Stack's topics ``v3/{application}/devices/{device}/up`` ...), logged in as the application with
the CLI's API key, printed one message at a time."""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError

__all__ = ["MqttMessage", "add_mqtt", "format_message", "mqtt_target", "topic_filter"]

DEFAULT_MQTT_PORT = 1883
_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class MqttMessage:
    topic: str
    body: Any  # the JSON document, or the raw text when it is not JSON


def mqtt_target(address: str | None, as_address: str) -> tuple[str, int]:
    """HOST:PORT to connect to: the given one, else the AS's host on the standard MQTT port."""
    text = address or f"{as_address.rpartition(':')[0] or '127.0.0.1'}:{DEFAULT_MQTT_PORT}"
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise CliError(f"--mqtt-address {text!r}: want HOST:PORT")
    return host.strip("[]"), int(port)


def topic_filter(username: str, kinds: list[str] | None) -> list[str]:
    """One filter per message kind under the username's topic root; ``#`` for every kind."""
    if kinds and "#" in kinds:
        return [f"v3/{username}/devices/#"]
    return [f"v3/{username}/devices/+/{kind}" for kind in (kinds or ["up"])]


def format_message(message: MqttMessage, fmt: str) -> str:
    """JSON: the topic and the message, indented; table: the topic and the decoded payload on one line."""
    if fmt == "json":
        return json.dumps({"topic": message.topic, "message": message.body}, indent=2)
    body = message.body if isinstance(message.body, dict) else {}
    uplink = body.get("uplink_message", {})
    shown = uplink.get("decoded_payload", uplink.get("frm_payload")) if uplink else None
    summary = json.dumps(shown, separators=(",", ":")) if shown is not None else ", ".join(sorted(body)) or "-"
    return f"{message.topic}  {summary}"


class _Subscriber:
    """paho's network thread hands every event to a thread-safe queue that the handler drains."""

    def __init__(self, username: str, password: str) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"lorastack-cli-{time.monotonic_ns()}")
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._connected
        self.client.on_subscribe = self._subscribed
        self.client.on_message = self._message

    def _connected(self, _client: Any, _userdata: Any, _flags: Any, code: Any, _props: Any) -> None:
        self.events.put(("connect", code))

    def _subscribed(self, _client: Any, _userdata: Any, _mid: Any, codes: Any, _props: Any) -> None:
        self.events.put(("subscribe", codes))

    def _message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        text = msg.payload.decode(errors="replace")
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        self.events.put(("message", MqttMessage(msg.topic, body)))

    async def next(self, kind: str, timeout: float | None) -> Any:
        """The next event of ``kind``; TimeoutError when none comes in time (None: wait forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 1.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(kind)
            try:
                got, value = await asyncio.to_thread(self.events.get, True, min(left, 1.0))
            except queue.Empty:
                continue
            if got == kind:
                return value


async def _open(subscriber: _Subscriber, host: str, port: int, topics: list[str]) -> None:
    try:
        subscriber.client.connect(host, port)
    except OSError as err:
        raise CliError(f"cannot reach the MQTT server at {host}:{port}: {err}") from None
    subscriber.client.loop_start()
    try:
        code = await subscriber.next("connect", _CONNECT_TIMEOUT)
    except TimeoutError:
        raise CliError(f"the MQTT server at {host}:{port} did not answer") from None
    if code.is_failure:
        raise CliError(f"the MQTT server at {host}:{port} refused the connection: {code}")
    subscriber.client.subscribe([(topic, 1) for topic in topics])
    codes = await subscriber.next("subscribe", _CONNECT_TIMEOUT)
    refused = [t for t, c in zip(topics, codes, strict=False) if c.is_failure]
    if refused:
        raise CliError(f"subscription refused: {', '.join(refused)} (does the key have traffic read rights?)")


async def _subscribe(args: argparse.Namespace, session: Session) -> None:
    app_id = flags.require(args.application_id, "--application-id")
    username = f"{app_id}@{args.tenant_id}" if args.tenant_id else app_id
    password = args.api_key or session.config.api_key
    if not password:
        raise CliError("no API key: run `lorastack login` or give --api-key")
    host, port = mqtt_target(args.mqtt_address, session.config.address("as"))
    topics = topic_filter(username, args.message)
    subscriber = _Subscriber(username, password)
    fmt = getattr(args, "output", "json")
    try:
        await _open(subscriber, host, port, topics)
        session.out.note(f"subscribed to {', '.join(topics)} on {host}:{port}")
        seen = 0
        while not args.count or seen < args.count:
            try:
                message = await subscriber.next("message", args.timeout or None)
            except TimeoutError:
                raise CliError(f"no message within {args.timeout:g}s") from None
            print(format_message(message, fmt), flush=True)
            seen += 1
    finally:
        subscriber.client.disconnect()
        subscriber.client.loop_stop()


def add_mqtt(sub: flags.SubParsers) -> None:
    parser = flags.leaf(
        sub, "mqtt-subscribe", "print the application's messages from the AS's MQTT server (Ctrl-C stops)", _subscribe
    )
    parser.add_argument("--application-id", help="the application (the MQTT username)")
    parser.add_argument("--tenant-id", help="the tenant, when not the default one (username app@tenant)")
    parser.add_argument("--mqtt-address", metavar="HOST:PORT", help="the AS's MQTT server (default: AS host, 1883)")
    parser.add_argument("--api-key", help="the password (default: the logged-in API key)")
    parser.add_argument(
        "--message",
        action="append",
        help="message kind after devices/+/ (repeatable; default up; # for all), e.g. join, down/queued",
    )
    parser.add_argument("--count", type=int, default=0, help="stop after this many messages (0: never)")
    parser.add_argument("--timeout", type=float, default=0, help="fail when no message comes for this long (s)")
