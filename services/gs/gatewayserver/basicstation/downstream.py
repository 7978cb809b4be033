"""Messages the LNS sends to a Basics Station: ``router_config``, ``dnmsg`` and ``timesync`` answers.

Downlinks are placed by this GS's scheduler, so every ``dnmsg`` is a class A RX1 transmission at
``xtime + RxDelay`` on the exact frequency and data rate chosen (the station's own scheduler is bypassed).
"""

from __future__ import annotations

import time
from typing import Any

from gatewayserver.basicstation.codec import XTIME_MASK, gps_time_us
from gatewayserver.scheduling.downlink import modulation_of
from lorastack.lorawan.band import get_band
from lorastack.lorawan.frequencyplans import FrequencyPlan, basic_station_router_config
from ttn.lorawan.v3 import lorawan_pb2

__all__ = ["dnmsg", "router_config", "timesync_answer"]

_RX_DELAY_US = 1_000_000


def router_config(plan: FrequencyPlan) -> dict[str, Any]:
    config = basic_station_router_config(plan)
    # No NetID or JoinEUI filter: the GS decides what reaches the NS.
    config.update({"NetID": None, "JoinEui": None, "MuxTime": time.time()})
    return config


def dnmsg(
    band_id: str,
    settings: lorawan_pb2.TxSettings,
    payload: bytes,
    *,
    session: int,
    diid: int,
    now: float,
) -> dict[str, Any]:
    band = get_band(band_id)
    data_rate = band.find_data_rate(modulation_of(settings.data_rate), uplink=False)
    xtime = (session << 48) | ((settings.concentrator_timestamp - _RX_DELAY_US) & XTIME_MASK)
    return {
        "msgtype": "dnmsg",
        "DevEui": "00-00-00-00-00-00-00-00",
        "dC": 0,
        "diid": diid,
        "pdu": payload.hex().upper(),
        "RxDelay": 1,
        "RX1DR": data_rate.index,
        "RX1Freq": settings.frequency,
        "priority": 25,
        "xtime": xtime,
        "rctx": settings.downlink.antenna_index,
        "MuxTime": now,
    }


def timesync_answer(txtime: float, now: float) -> dict[str, Any]:
    return {"msgtype": "timesync", "txtime": txtime, "gpstime": gps_time_us(now), "MuxTime": now}
