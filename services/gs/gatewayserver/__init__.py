"""The Gateway Server: gateways connect here, uplinks go to the NS, downlinks go on air."""
