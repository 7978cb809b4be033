"""Prometheus metrics of one process, named ``lorastack_<role>_<thing>_<unit>``.

Each process (and each test component) owns a :class:`Metrics` with its own
registry, so that several components can live in one Python process in tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "Metrics"]

# Seconds; the data path lives between a millisecond and a second.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Factory and registry of one role's metrics."""

    def __init__(self, role: str, registry: CollectorRegistry | None = None) -> None:
        self.role = role
        self.registry = registry if registry is not None else CollectorRegistry()

    def name(self, thing: str) -> str:
        return f"lorastack_{self.role}_{thing}"

    def counter(self, thing: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(self.name(thing), doc, list(labels), registry=self.registry)

    def gauge(self, thing: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(self.name(thing), doc, list(labels), registry=self.registry)

    def histogram(
        self, thing: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> Histogram:
        return Histogram(self.name(thing), doc, list(labels), buckets=buckets, registry=self.registry)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
