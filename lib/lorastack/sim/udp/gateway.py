"""A virtual packet forwarder on two UDP sockets, as the real one has: PUSH_DATA up, PULL_DATA keepalives
and PULL_RESP/TX_ACK down (Semtech PROTOCOL.TXT). Datagram handlers only decode and hand over."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from datetime import UTC, datetime
from typing import cast

from lorastack.lorawan.frequencyplans import FrequencyPlan
from lorastack.sim.clock import ConcentratorClock
from lorastack.sim.gateway import GatewayIdentity, VirtualGateway
from lorastack.sim.radio import Downlink, Uplink, data_rate_index, datr_of
from lorastack.sim.udp import codec

__all__ = ["UdpGateway"]

log = logging.getLogger(__name__)


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: asyncio.Queue[bytes]) -> None:
        self.queue = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(data)

    def send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.sendto(data)


class UdpGateway(VirtualGateway):
    def __init__(
        self,
        identity: GatewayIdentity,
        plan: FrequencyPlan,
        server: tuple[str, int],
        *,
        clock: ConcentratorClock | None = None,
        keepalive_interval: float = 5.0,
        stat_interval: float = 30.0,
    ) -> None:
        super().__init__(identity, plan, clock)
        self.server = server
        self.keepalive_interval = keepalive_interval
        self.stat_interval = stat_interval
        self._tokens = itertools.count(1)
        self._up: _Socket | None = None
        self._down: _Socket | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1024)
        self.pull_acked = asyncio.Event()

    def _token(self) -> bytes:
        return (next(self._tokens) & 0xFFFF).to_bytes(2, "big")

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        _, up = await loop.create_datagram_endpoint(lambda: _Socket(self._queue), remote_addr=self.server)
        _, down = await loop.create_datagram_endpoint(lambda: _Socket(self._queue), remote_addr=self.server)
        self._up, self._down = up, down
        self._tasks = [
            asyncio.create_task(self._receive(), name=f"udp-gw-{self.gateway_id}-rx"),
            asyncio.create_task(self._keepalive(), name=f"udp-gw-{self.gateway_id}-pull"),
            asyncio.create_task(self._status(), name=f"udp-gw-{self.gateway_id}-stat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for sock in (self._up, self._down):
            if sock is not None and sock.transport is not None:
                sock.transport.close()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self.pull_acked.wait()

    # Uplinks --------------------------------------------------------------------------------------

    def hear(self, uplink: Uplink, rssi: float, snr: float) -> int | None:
        channel = self.channel_of(uplink.frequency)
        if channel is None or self._up is None:
            self.counters.uplinks_not_heard += 1
            return None
        tmst = self.clock.tmst_at(uplink.sent_at)
        packet = codec.rxpk(
            data=uplink.payload,
            tmst=tmst,
            frequency=uplink.frequency,
            datr=datr_of(self.band, uplink.data_rate),
            channel=channel[0],
            rf_chain=channel[1],
            rssi=rssi,
            snr=snr,
            received_at=datetime.now(UTC),
        )
        self._up.send(codec.push_data(self._token(), self.identity.eui, {"rxpk": [packet]}))
        self.counters.uplinks += 1
        return tmst

    # Downstream -----------------------------------------------------------------------------------

    async def _keepalive(self) -> None:
        while True:
            if self._down is not None:
                self._down.send(codec.pull_data(self._token(), self.identity.eui))
                self.counters.keepalives += 1
            await asyncio.sleep(self.keepalive_interval)

    async def _status(self) -> None:
        while True:
            # Like the packet forwarder, report statistics at the end of each interval.
            await asyncio.sleep(self.stat_interval)
            if self._up is not None:
                c = self.counters
                body = codec.stat(
                    datetime.now(UTC),
                    received=c.uplinks,
                    forwarded=c.uplinks,
                    ack_ratio=c.uplinks_acked / c.uplinks if c.uplinks else 1.0,
                    downlinks=c.downlinks,
                    sent=c.downlinks,
                )
                self._up.send(codec.push_data(self._token(), self.identity.eui, {"stat": body}))
                self.counters.statuses += 1

    async def _receive(self) -> None:
        while True:
            datagram = await self._queue.get()
            try:
                packet = codec.parse_server_packet(datagram)
            except codec.CodecError as err:
                log.debug("gateway %s dropped a datagram: %s", self.gateway_id, err)
                continue
            if packet.identifier == codec.PUSH_ACK:
                self.counters.uplinks_acked += 1
            elif packet.identifier == codec.PULL_ACK:
                self.counters.keepalives_acked += 1
                self.pull_acked.set()
            elif packet.body is not None:
                self._pull_resp(packet.token, packet.body)

    def _pull_resp(self, token: bytes, body: dict[str, object]) -> None:
        assert self._down is not None
        try:
            txpk = codec.parse_txpk(body)
        except codec.CodecError:
            self.counters.downlinks_invalid += 1
            self._down.send(codec.tx_ack(token, self.identity.eui, "TX_FREQ"))
            return
        if txpk.tmst is not None and self.clock.monotonic_of_tmst(txpk.tmst) < self.clock.now():
            self.counters.downlinks_too_late += 1
            self._down.send(codec.tx_ack(token, self.identity.eui, "TOO_LATE"))
            return
        self._down.send(codec.tx_ack(token, self.identity.eui, "NONE"))
        rate = data_rate_index(self.band, txpk.datr)
        self.deliver(Downlink(txpk.data, txpk.frequency, rate, self.gateway_id, txpk.tmst))
