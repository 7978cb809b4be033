"""Events (The Things Stack's ``gs.*`` names) and Prometheus metrics of the Gateway Server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message
from prometheus_client import Counter, Gauge, Histogram

from lorastack import events
from lorastack.metrics import Metrics
from ttn.lorawan.v3 import gateway_pb2, identifiers_pb2, messages_pb2, rights_pb2

__all__ = [
    "DOWN_SEND",
    "DOWN_TX_FAIL",
    "DOWN_TX_SUCCESS",
    "GATEWAY_CONNECT",
    "GATEWAY_DISCONNECT",
    "STATUS_RECEIVE",
    "UP_DROP",
    "UP_RECEIVE",
    "EventSink",
    "Observability",
]

_TRAFFIC = [rights_pb2.RIGHT_GATEWAY_TRAFFIC_READ]
_STATUS = [rights_pb2.RIGHT_GATEWAY_STATUS_READ]

GATEWAY_CONNECT = events.define("gs.gateway.connect", description="gateway connected", visibility=_STATUS)
GATEWAY_DISCONNECT = events.define("gs.gateway.disconnect", description="gateway disconnected", visibility=_STATUS)
UP_RECEIVE = events.define(
    "gs.up.receive", description="uplink received", data_type=messages_pb2.UplinkMessage, visibility=_TRAFFIC
)
UP_DROP = events.define("gs.up.drop", description="uplink dropped", visibility=_TRAFFIC)
DOWN_SEND = events.define(
    "gs.down.send", description="downlink sent to gateway", data_type=messages_pb2.DownlinkMessage, visibility=_TRAFFIC
)
DOWN_TX_SUCCESS = events.define(
    "gs.down.tx.success",
    description="downlink transmitted",
    data_type=messages_pb2.TxAcknowledgment,
    visibility=_TRAFFIC,
)
DOWN_TX_FAIL = events.define(
    "gs.down.tx.fail",
    description="downlink transmission failed",
    data_type=messages_pb2.TxAcknowledgment,
    visibility=_TRAFFIC,
)
STATUS_RECEIVE = events.define(
    "gs.status.receive", description="gateway status received", data_type=gateway_pb2.GatewayStatus, visibility=_STATUS
)


@dataclass(frozen=True, slots=True)
class Observability:
    """The Gateway Server's metrics, labelled by protocol (udp, ws, grpc) and bounded reasons."""

    datagrams: Counter
    dropped: Counter
    uplinks: Counter
    uplinks_forwarded: Counter
    uplinks_dropped: Counter
    statuses: Counter
    downlinks: Counter
    downlinks_refused: Counter
    tx_acks: Counter
    connected: Gauge
    queue_depth: Gauge
    forward_latency: Histogram

    @classmethod
    def create(cls, metrics: Metrics) -> Observability:
        return cls(
            datagrams=metrics.counter("messages_received_total", "Messages received from gateways", ["protocol"]),
            dropped=metrics.counter(
                "messages_dropped_total", "Gateway messages dropped before handling", ["protocol", "reason"]
            ),
            uplinks=metrics.counter("uplinks_received_total", "Uplink frames received", ["protocol"]),
            uplinks_forwarded=metrics.counter("uplinks_forwarded_total", "Uplinks handed to the NS"),
            uplinks_dropped=metrics.counter("uplinks_dropped_total", "Uplinks not forwarded", ["reason"]),
            statuses=metrics.counter("statuses_received_total", "Gateway status messages", ["protocol"]),
            downlinks=metrics.counter("downlinks_sent_total", "Downlinks sent to gateways", ["protocol"]),
            downlinks_refused=metrics.counter("downlinks_refused_total", "Downlinks not scheduled", ["reason"]),
            tx_acks=metrics.counter("tx_acknowledgments_total", "TX acknowledgments", ["protocol", "result"]),
            connected=metrics.gauge("gateways_connected", "Gateways connected to this replica", ["protocol"]),
            queue_depth=metrics.gauge("queue_depth", "Items waiting in an internal queue", ["queue"]),
            forward_latency=metrics.histogram("uplink_forward_seconds", "Time from reception to the NS's answer"),
        )


class EventSink:
    """Publishes events without making the data path wait for NATS; no bus (unit tests) means no events."""

    def __init__(self, bus: events.EventBus | None) -> None:
        self._bus = bus
        self._tasks: set[asyncio.Task[object]] = set()

    def emit(
        self,
        definition: events.EventDefinition,
        gateway: identifiers_pb2.GatewayIdentifiers,
        data: Message | None = None,
        correlation_ids: Sequence[str] = (),
    ) -> None:
        if self._bus is None or not gateway.gateway_id:
            return
        coroutine = self._bus.publish(
            definition, identifiers=[gateway], data=data, correlation_ids=list(correlation_ids)
        )
        task: asyncio.Task[object] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
