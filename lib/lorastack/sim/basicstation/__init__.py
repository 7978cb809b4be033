"""A virtual LoRa Basics Station speaking the LNS protocol over WebSockets."""

from lorastack.sim.basicstation.station import BasicStationGateway, DiscoveryError

__all__ = ["BasicStationGateway", "DiscoveryError"]
