"""Events (The Things Stack's names) and Prometheus metrics of the Network Server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message
from prometheus_client import Counter, Histogram

from lorastack import events
from lorastack.events import EventBus, EventDefinition
from lorastack.metrics import Metrics
from networkserver.store import StoredDevice
from ttn.lorawan.v3 import end_device_pb2, messages_pb2, rights_pb2

__all__ = [
    "EVT_DEVICE_CREATE",
    "EVT_DEVICE_DELETE",
    "EVT_DEVICE_UPDATE",
    "EVT_DOWN_DATA_SCHEDULE_ATTEMPT",
    "EVT_DOWN_DATA_SCHEDULE_FAIL",
    "EVT_DOWN_DATA_SCHEDULE_SUCCESS",
    "EVT_DOWN_JOIN_ACCEPT_SCHEDULE_ATTEMPT",
    "EVT_DOWN_JOIN_ACCEPT_SCHEDULE_FAIL",
    "EVT_DOWN_JOIN_ACCEPT_SCHEDULE_SUCCESS",
    "EVT_UP_DATA_DROP",
    "EVT_UP_DATA_PROCESS",
    "EVT_UP_DATA_RECEIVE",
    "EVT_UP_JOIN_ACCEPT_FORWARD",
    "EVT_UP_JOIN_FORWARD",
    "EVT_UP_JOIN_RECEIVE",
    "EVT_UP_REJOIN_DROP",
    "EVT_UP_REJOIN_FORWARD",
    "EVT_UP_REJOIN_RECEIVE",
    "NsMetrics",
    "Publisher",
    "device_ref",
    "mac_event",
]

_TRAFFIC = (rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ,)
_DEVICES = (rights_pb2.RIGHT_APPLICATION_DEVICES_READ,)

EVT_UP_DATA_RECEIVE = events.define("ns.up.data.receive", visibility=_TRAFFIC, data_type=messages_pb2.UplinkMessage)
EVT_UP_DATA_PROCESS = events.define("ns.up.data.process", visibility=_TRAFFIC, data_type=messages_pb2.UplinkMessage)
EVT_UP_DATA_DROP = events.define("ns.up.data.drop", visibility=_TRAFFIC)
EVT_UP_JOIN_RECEIVE = events.define("ns.up.join.receive", visibility=_TRAFFIC)
EVT_UP_JOIN_FORWARD = events.define("ns.up.join.forward", visibility=_TRAFFIC)
EVT_UP_JOIN_ACCEPT_FORWARD = events.define("ns.up.join.accept.forward", visibility=_TRAFFIC)
EVT_UP_REJOIN_RECEIVE = events.define("ns.up.rejoin.receive", visibility=_TRAFFIC)
EVT_UP_REJOIN_FORWARD = events.define("ns.up.rejoin.forward", visibility=_TRAFFIC)
EVT_UP_REJOIN_DROP = events.define("ns.up.rejoin.drop", visibility=_TRAFFIC)
EVT_DOWN_JOIN_ACCEPT_SCHEDULE_ATTEMPT = events.define("ns.down.join.schedule.attempt", visibility=_TRAFFIC)
EVT_DOWN_JOIN_ACCEPT_SCHEDULE_SUCCESS = events.define("ns.down.join.schedule.success", visibility=_TRAFFIC)
EVT_DOWN_JOIN_ACCEPT_SCHEDULE_FAIL = events.define("ns.down.join.schedule.fail", visibility=_TRAFFIC)
EVT_DOWN_DATA_SCHEDULE_ATTEMPT = events.define("ns.down.data.schedule.attempt", visibility=_TRAFFIC)
EVT_DOWN_DATA_SCHEDULE_SUCCESS = events.define("ns.down.data.schedule.success", visibility=_TRAFFIC)
EVT_DOWN_DATA_SCHEDULE_FAIL = events.define("ns.down.data.schedule.fail", visibility=_TRAFFIC)
EVT_DEVICE_CREATE = events.define("ns.end_device.create", visibility=_DEVICES, data_type=end_device_pb2.EndDevice)
EVT_DEVICE_UPDATE = events.define("ns.end_device.update", visibility=_DEVICES)
EVT_DEVICE_DELETE = events.define("ns.end_device.delete", visibility=_DEVICES)

_MAC_EVENTS: dict[str, EventDefinition] = {}


def device_ref(stored: StoredDevice) -> events.EntityRef:
    """The event identifiers of a stored device: its own ids, not the tenant-qualified storage key."""
    ids = stored.device.ids
    return events.end_device(ids.application_ids.application_id or stored.application_id, ids.device_id)


def mac_event(command: str, kind: str) -> EventDefinition:
    """``ns.mac.<command>.<kind>`` (kind: request, answer, indication, reject), defined once."""
    name = f"ns.mac.{command}.{kind}"
    found = _MAC_EVENTS.get(name)
    if found is None:
        found = events.define(name, visibility=_TRAFFIC)
        _MAC_EVENTS[name] = found
    return found


@dataclass(frozen=True, slots=True)
class NsMetrics:
    uplinks: Counter
    uplinks_recovered: Counter
    dedup_size: Histogram
    downlinks: Counter
    hop_latency: Histogram
    joins: Counter
    application_ups: Counter
    rejoins: Counter

    @classmethod
    def create(cls, metrics: Metrics) -> NsMetrics:
        return cls(
            uplinks=metrics.counter("uplinks_total", "Uplinks by outcome", ["outcome"]),
            uplinks_recovered=metrics.counter(
                "uplinks_recovered_total", "Uplinks taken over from a replica that did not finish them"
            ),
            dedup_size=metrics.histogram(
                "uplink_gateways", "Receptions merged into one uplink", buckets=(1, 2, 3, 4, 5, 8, 12, 20)
            ),
            downlinks=metrics.counter("downlinks_total", "Downlinks by window and result", ["window", "result"]),
            hop_latency=metrics.histogram("hop_latency_seconds", "Latency of each hop", ["hop"]),
            joins=metrics.counter("joins_total", "Join-requests by outcome", ["outcome"]),
            application_ups=metrics.counter("application_ups_total", "Messages queued for the AS", ["kind"]),
            rejoins=metrics.counter("rejoins_total", "Rejoin-requests by rejoin type and outcome", ["type", "outcome"]),
        )


class Publisher:
    """Publishes events about one end device without ever raising; a bus of None drops them (tests)."""

    def __init__(self, bus: EventBus | None) -> None:
        self._bus = bus

    async def device(
        self,
        definition: EventDefinition,
        app_id: str,
        dev_id: str,
        data: Message | None = None,
        correlation_ids: Sequence[str] = (),
    ) -> None:
        if self._bus is None:
            return
        await self._bus.publish(
            definition,
            identifiers=[events.end_device(app_id, dev_id)],
            data=data,
            correlation_ids=correlation_ids,
        )
