"""Simulated LoRaWAN end devices (1.0.2 to 1.1, OTAA and ABP, class A and C): pure state machines."""

from lorastack.sim.device.counters import DeviceCounters
from lorastack.sim.device.device import EndDevice, GatewayLink
from lorastack.sim.device.profile import ABPSession, Activation, DeviceClass, DeviceProfile, LoRaWANVersion

__all__ = [
    "ABPSession",
    "Activation",
    "DeviceClass",
    "DeviceCounters",
    "DeviceProfile",
    "EndDevice",
    "GatewayLink",
    "LoRaWANVersion",
]
