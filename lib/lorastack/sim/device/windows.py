"""Receive windows of class A and C devices (LoRaWAN 1.1 sections 3.3 and 18).

A downlink is heard in RX1 or RX2 only when the gateway transmits it at exactly the concentrator time of
that window for the device's last uplink (the gateway's timestamp of the uplink plus the receive delay),
on the window's frequency and data rate. Class C devices also hear RX2's settings at any other time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lorastack.sim.clock import tmst_delta
from lorastack.sim.radio import Downlink

__all__ = ["Reception", "RxWindow", "RxWindows"]


@dataclass(frozen=True, slots=True)
class RxWindow:
    delay_us: int
    frequency: int
    data_rate: int


@dataclass(frozen=True, slots=True)
class Reception:
    """``window`` is rx1, rx2 or rxc when heard; otherwise None and ``miss`` says why."""

    window: str | None
    miss: str = ""


@dataclass(slots=True)
class RxWindows:
    tolerance_us: int = 0
    class_c: bool = False
    rx2_frequency: int = 0
    rx2_data_rate: int = 0
    _stamps: dict[str, int] = field(default_factory=dict)
    _windows: tuple[RxWindow, RxWindow] | None = None

    def open(self, stamps: Mapping[str, int], rx1: RxWindow, rx2: RxWindow) -> None:
        """After an uplink: ``stamps`` are the 32-bit timestamps each gateway put on it."""
        self._stamps = dict(stamps)
        self._windows = (rx1, rx2)

    def close(self) -> None:
        self._windows = None

    @property
    def pending(self) -> bool:
        return self._windows is not None

    def receive(self, downlink: Downlink) -> Reception:
        timed = self._class_a(downlink)
        if timed.window is not None or not self.class_c:
            return timed
        if downlink.frequency != self.rx2_frequency:
            return Reception(None, "wrong_frequency")
        if downlink.data_rate is not None and downlink.data_rate != self.rx2_data_rate:
            return Reception(None, "wrong_data_rate")
        return Reception("rxc")

    def _class_a(self, downlink: Downlink) -> Reception:
        if self._windows is None:
            return Reception(None, "no_window")
        stamp = self._stamps.get(downlink.gateway_id)
        if stamp is None or downlink.concentrator_time is None:
            return Reception(None, "no_window")
        for name, window in zip(("rx1", "rx2"), self._windows, strict=True):
            if abs(tmst_delta(downlink.concentrator_time, stamp + window.delay_us)) > self.tolerance_us:
                continue
            if downlink.frequency != window.frequency:
                return Reception(None, "wrong_frequency")
            if downlink.data_rate is not None and downlink.data_rate != window.data_rate:
                return Reception(None, "wrong_data_rate")
            # One downlink per uplink: after RX1 the device does not open RX2.
            self._windows = None
            return Reception(name)
        return Reception(None, "wrong_time")
