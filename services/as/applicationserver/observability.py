"""Events and Prometheus metrics of the Application Server (The Things Stack's event names)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

from lorastack import events
from lorastack.metrics import Metrics
from ttn.lorawan.v3 import messages_pb2, rights_pb2

__all__ = ["ASMetrics", "Events"]

_TRAFFIC = (rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ,)
_SETTINGS = (rights_pb2.RIGHT_APPLICATION_SETTINGS_BASIC,)
_DEVICES = (rights_pb2.RIGHT_APPLICATION_DEVICES_READ,)


class Events:
    """Event definitions; names are The Things Stack's so existing event filters keep working."""

    up_data_receive = events.define(
        "as.up.data.receive",
        description="receive uplink message",
        data_type=messages_pb2.ApplicationUp,
        visibility=_TRAFFIC,
    )
    up_data_forward = events.define(
        "as.up.data.forward",
        description="forward uplink message",
        data_type=messages_pb2.ApplicationUp,
        visibility=_TRAFFIC,
    )
    up_data_drop = events.define("as.up.data.drop", description="drop uplink message", visibility=_TRAFFIC)
    up_data_decode_fail = events.define(
        "as.up.data.decode.fail", description="decode uplink data message failure", visibility=_TRAFFIC
    )
    up_join_receive = events.define(
        "as.up.join.receive", description="receive join-accept message", visibility=_TRAFFIC
    )
    up_join_forward = events.define(
        "as.up.join.forward", description="forward join-accept message", visibility=_TRAFFIC
    )
    down_data_receive = events.define(
        "as.down.data.receive",
        description="receive downlink message",
        data_type=messages_pb2.ApplicationDownlink,
        visibility=_TRAFFIC,
    )
    down_data_forward = events.define(
        "as.down.data.forward",
        description="forward downlink message",
        data_type=messages_pb2.ApplicationDownlink,
        visibility=_TRAFFIC,
    )
    down_data_drop = events.define("as.down.data.drop", description="drop downlink message", visibility=_TRAFFIC)
    webhook_fail = events.define("as.webhook.fail", description="fail to send webhook", visibility=_SETTINGS)
    webhook_disable = events.define(
        "as.webhook.disable", description="webhook disabled after repeated failures", visibility=_SETTINGS
    )
    link_fail = events.define("as.link.fail", description="fail to link to network server", visibility=_SETTINGS)
    end_device_set = events.define("as.end_device.update", description="update end device", visibility=_DEVICES)
    end_device_delete = events.define("as.end_device.delete", description="delete end device", visibility=_DEVICES)


@dataclass(frozen=True, slots=True)
class ASMetrics:
    """Counters labelled by integration (mqtt, webhooks, pubsub, appas) and bounded outcomes."""

    uplinks_received: Counter
    uplinks_dropped: Counter
    delivered: Counter
    delivery_failed: Counter
    downlinks: Counter
    formatter_seconds: Histogram
    links_up: Gauge

    @classmethod
    def create(cls, metrics: Metrics) -> ASMetrics:
        return cls(
            uplinks_received=metrics.counter(
                "uplinks_received_total", "ApplicationUp messages from the link", ("kind",)
            ),
            uplinks_dropped=metrics.counter("uplinks_dropped_total", "ApplicationUp messages dropped", ("reason",)),
            delivered=metrics.counter(
                "integration_delivered_total", "messages handed to an integration", ("integration",)
            ),
            delivery_failed=metrics.counter(
                "integration_failed_total", "failed deliveries to an integration", ("integration",)
            ),
            downlinks=metrics.counter("downlinks_total", "downlinks handed to the network server", ("outcome",)),
            formatter_seconds=metrics.histogram("formatter_duration_seconds", "payload formatter run time", ("kind",)),
            links_up=metrics.gauge("links_up", "application links currently open"),
        )
