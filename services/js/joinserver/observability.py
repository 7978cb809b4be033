"""Events and Prometheus metrics of the Join Server (event names as The Things Stack names them)."""

from __future__ import annotations

from google.protobuf import struct_pb2

from lorastack import events
from lorastack.errors import LorastackError
from lorastack.metrics import Metrics
from ttn.lorawan.v3 import error_pb2, rights_pb2

__all__ = [
    "DEVICE_CREATE",
    "DEVICE_DELETE",
    "DEVICE_UPDATE",
    "JOIN_ACCEPT",
    "JOIN_REJECT",
    "JoinMetrics",
    "error_details",
]

_READ = rights_pb2.RIGHT_APPLICATION_DEVICES_READ

JOIN_ACCEPT = events.define("js.join.accept", description="join-request accepted", visibility=[_READ])
JOIN_REJECT = events.define(
    "js.join.reject", description="join-request rejected", data_type=error_pb2.ErrorDetails, visibility=[_READ]
)
DEVICE_CREATE = events.define("js.end_device.create", description="end device created", visibility=[_READ])
DEVICE_UPDATE = events.define("js.end_device.update", description="end device updated", visibility=[_READ])
DEVICE_DELETE = events.define("js.end_device.delete", description="end device deleted", visibility=[_READ])


def error_details(err: LorastackError) -> error_pb2.ErrorDetails:
    """The event payload of a rejection; attributes hold identifiers and nonces, never keys."""
    attributes = struct_pb2.Struct()
    attributes.update({name: str(value) for name, value in err.attributes.items()})
    return error_pb2.ErrorDetails(
        namespace=err.definition.namespace,
        name=err.definition.name,
        message_format=err.definition.message_format,
        attributes=attributes,
        correlation_id=err.correlation_id,
        code=err.code.value[0],
    )


class JoinMetrics:
    """Counters of join outcomes; the reason label is an error name, so it stays bounded."""

    def __init__(self, metrics: Metrics) -> None:
        self.accepted = metrics.counter("joins_accepted_total", "Join-requests accepted")
        self.rejected = metrics.counter("joins_rejected_total", "Join-requests rejected, by reason", ["reason"])
