"""What integrations call each kind of ApplicationUp (topic suffixes, webhook paths) and its JSON,
encoded once with the REST codec so MQTT, webhooks, pub/sub and REST agree byte for byte."""

from __future__ import annotations

import json

from lorastack.httpapi import to_json
from ttn.lorawan.v3 import messages_pb2

__all__ = ["TOPIC_SUFFIXES", "kind_of", "to_json_bytes"]

# ApplicationUp oneof field -> The Things Stack's MQTT topic suffix.
TOPIC_SUFFIXES: dict[str, str] = {
    "uplink_message": "up",
    "uplink_normalized": "up/normalized",
    "join_accept": "join",
    "downlink_ack": "down/ack",
    "downlink_nack": "down/nack",
    "downlink_sent": "down/sent",
    "downlink_failed": "down/failed",
    "downlink_queued": "down/queued",
    "downlink_queue_invalidated": "down/invalidated",
    "location_solved": "location/solved",
    "service_data": "service/data",
}


def kind_of(up: messages_pb2.ApplicationUp) -> str | None:
    return up.WhichOneof("up")


def to_json_bytes(up: messages_pb2.ApplicationUp) -> bytes:
    return json.dumps(to_json(up), separators=(",", ":")).encode()
