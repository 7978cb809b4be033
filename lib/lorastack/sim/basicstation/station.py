"""A virtual LoRa Basics Station: ``/router-info`` discovery, then the traffic WebSocket (version,
router_config, updf/jreq, dnmsg/dntxed, timesync) with aiohttp's client. Uplinks are queued by ``hear``
and written by one task; received messages are handled in another."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import aiohttp

from lorastack.lorawan.frequencyplans import FrequencyPlan
from lorastack.sim.basicstation import codec
from lorastack.sim.clock import ConcentratorClock
from lorastack.sim.gateway import GatewayIdentity, VirtualGateway
from lorastack.sim.radio import Downlink, Uplink

__all__ = ["BasicStationGateway", "DiscoveryError"]

log = logging.getLogger(__name__)

# GPS time began 1980-01-06 and ignores the leap seconds UTC has gained since (18 by 2017).
_GPS_EPOCH_UNIX = 315_964_800
_LEAP_SECONDS = 18


class DiscoveryError(RuntimeError):
    pass


class BasicStationGateway(VirtualGateway):
    def __init__(
        self,
        identity: GatewayIdentity,
        plan: FrequencyPlan,
        lns_url: str,
        *,
        api_key: str | None = None,
        clock: ConcentratorClock | None = None,
        timesync_interval: float = 30.0,
    ) -> None:
        super().__init__(identity, plan, clock)
        self.lns_url = lns_url.rstrip("/")
        self.api_key = api_key
        self.timesync_interval = timesync_interval
        self.router_config: dict[str, Any] | None = None
        self.last_timesync: dict[str, Any] | None = None
        self.connected = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=4096)
        self._tasks: list[asyncio.Task[None]] = []

    async def discover(self, session: aiohttp.ClientSession) -> str:
        async with session.ws_connect(f"{self.lns_url}/router-info") as ws:
            await ws.send_json({"router": format(int.from_bytes(self.identity.eui, "big"), "016X")})
            answer = await ws.receive_json(timeout=10)
        if not isinstance(answer, dict) or "uri" not in answer:
            raise DiscoveryError(f"router-info refused {self.gateway_id}: {answer}")
        return str(answer["uri"])

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        uri = await self.discover(self._session)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._ws = await self._session.ws_connect(uri, headers=headers, heartbeat=30)
        await self._ws.send_json(codec.version_message(station="lorastack-sim", firmware="1.0", model="sim"))
        self._tasks = [
            asyncio.create_task(self._read(self._ws), name=f"bs-{self.gateway_id}-rx"),
            asyncio.create_task(self._write(self._ws), name=f"bs-{self.gateway_id}-tx"),
            asyncio.create_task(self._timesync(), name=f"bs-{self.gateway_id}-timesync"),
        ]

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Until router_config arrived: only then does a real station start its radio."""
        async with asyncio.timeout(timeout):
            await self.connected.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    # Uplinks --------------------------------------------------------------------------------------

    def hear(self, uplink: Uplink, rssi: float, snr: float) -> int | None:
        channel = self.channel_of(uplink.frequency)
        if channel is None or not self.connected.is_set():
            self.counters.uplinks_not_heard += 1
            return None
        xtime = self.clock.xtime_at(uplink.sent_at)
        radio = {
            "DR": uplink.data_rate,
            "Freq": uplink.frequency,
            "upinfo": {
                "rctx": channel[1],
                "xtime": xtime,
                "gpstime": 0,
                "rssi": round(rssi),
                "snr": round(snr, 1),
                "rxtime": time.time(),
            },
            "RefTime": 0.0,
        }
        try:
            self._outbox.put_nowait(codec.uplink_message(uplink.payload, radio))
        except asyncio.QueueFull:
            self.counters.uplinks_not_heard += 1
            return None
        self.counters.uplinks += 1
        return xtime & 0xFFFFFFFF

    async def _write(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            message = await self._outbox.get()
            await ws.send_str(json.dumps(message, separators=(",", ":")))

    async def _timesync(self) -> None:
        while True:
            await self.connected.wait()
            self._outbox.put_nowait({"msgtype": "timesync", "txtime": self.clock.counter_at(self.clock.now())})
            await asyncio.sleep(self.timesync_interval)

    # Downstream -----------------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                body = json.loads(msg.data)
            except json.JSONDecodeError:
                continue
            if not isinstance(body, dict):
                continue
            kind = body.get("msgtype")
            if kind == "router_config":
                self.router_config = body
                self.connected.set()
            elif kind == "dnmsg":
                self._dnmsg(body)
            elif kind == "timesync":
                self.last_timesync = body
            else:
                log.debug("station %s ignores %s", self.gateway_id, kind)
        self.connected.clear()

    def _dnmsg(self, body: dict[str, Any]) -> None:
        try:
            message = codec.parse_dnmsg(body)
        except codec.StationCodecError:
            self.counters.downlinks_invalid += 1
            return
        xtime = message.xtime
        if xtime is not None and self.clock.monotonic_of_xtime(xtime) < self.clock.now():
            # A station silently drops what it can no longer send in time; the LNS sees no dntxed.
            self.counters.downlinks_too_late += 1
            return
        at = xtime if xtime is not None else self.clock.xtime()
        self._outbox.put_nowait(
            {
                "msgtype": "dntxed",
                "diid": message.diid,
                "DevEui": message.dev_eui,
                "rctx": message.rctx,
                "xtime": at,
                "txtime": self.clock.monotonic_of_xtime(at),
                "gpstime": round((time.time() - _GPS_EPOCH_UNIX + _LEAP_SECONDS) * 1_000_000),
            }
        )
        concentrator = None if xtime is None else xtime & 0xFFFFFFFF
        self.deliver(Downlink(message.pdu, message.frequency, message.data_rate, self.gateway_id, concentrator))
