"""A virtual Semtech UDP packet forwarder (protocol version 2)."""

from lorastack.sim.udp.gateway import UdpGateway

__all__ = ["UdpGateway"]
