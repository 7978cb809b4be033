"""lorastack-sim: virtual gateways (Semtech UDP, LoRa Basics Station) and end devices that drive a cluster."""
