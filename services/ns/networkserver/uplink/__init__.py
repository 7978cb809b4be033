"""The uplink half of the Network Server: deduplication, device matching, processing."""
