"""The downlink half of the Network Server: frames, gateway scheduling, class A and C flows."""
