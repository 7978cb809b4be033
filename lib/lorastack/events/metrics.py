"""Prometheus counters of event publishing; the only label is the event name, which is bounded."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter

__all__ = ["EventMetrics", "metrics_for"]


@dataclass(frozen=True, slots=True)
class EventMetrics:
    published: Counter
    publish_errors: Counter
    decode_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> EventMetrics:
        return cls(
            published=Counter(
                "lorastack_events_published",
                "Events published to NATS, by event name",
                ["name"],
                registry=registry,
            ),
            publish_errors=Counter(
                "lorastack_events_publish_errors",
                "Events that could not be published, by event name",
                ["name"],
                registry=registry,
            ),
            decode_errors=Counter(
                "lorastack_events_decode_errors",
                "Messages on event subjects that subscribers could not decode",
                registry=registry,
            ),
        )


@functools.cache
def metrics_for(registry: CollectorRegistry = REGISTRY) -> EventMetrics:
    """The counters in ``registry``, created once: several buses in one process share them."""
    return EventMetrics.create(registry)
