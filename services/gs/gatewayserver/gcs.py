"""Gateway configuration: the Semtech packet forwarder's ``global_conf.json`` for a gateway's frequency plan.

``SX1301_conf`` comes from the frequency plan (lorawan/frequencyplans/gateway.py); ``gateway_conf`` points
the forwarder at this cluster's UDP port with the keep-alive and statistics intervals TTS hands out.
"""

from __future__ import annotations

from typing import Any

from lorastack.lorawan.frequencyplans import FrequencyPlan, sx1301_conf

__all__ = ["global_conf"]


def global_conf(plan: FrequencyPlan, eui: bytes, server_host: str, udp_port: int) -> dict[str, Any]:
    return {
        "SX1301_conf": sx1301_conf(plan),
        "gateway_conf": {
            "gateway_ID": eui.hex().upper(),
            "server_address": server_host,
            "serv_port_up": udp_port,
            "serv_port_down": udp_port,
            "keepalive_interval": 10,
            "stat_interval": 30,
            "push_timeout_ms": 100,
            "forward_crc_valid": True,
            "forward_crc_error": False,
            "forward_crc_disabled": False,
        },
    }
