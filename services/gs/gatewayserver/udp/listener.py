"""The Semtech UDP front end: a datagram endpoint that only enqueues, and workers that do the rest.

PROTOCOL.TXT sections 3 and 5: PUSH_DATA is acknowledged at once, PULL_DATA teaches the downlink address
and is acknowledged, PULL_RESP carries scheduled downlinks, TX_ACK reports their fate.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from gatewayserver import errors
from gatewayserver.clock import unwrap
from gatewayserver.connections import Connection, ConnectionRegistry
from gatewayserver.gateways import GatewayInfo, GatewayResolver
from gatewayserver.observability import (
    GATEWAY_CONNECT,
    GATEWAY_DISCONNECT,
    STATUS_RECEIVE,
    UP_DROP,
    UP_RECEIVE,
    EventSink,
    Observability,
)
from gatewayserver.scheduling.downlink import DownlinkService
from gatewayserver.scheduling.scheduler import Scheduler
from gatewayserver.stats import StatsRecorder
from gatewayserver.udp import codec
from gatewayserver.udp.ratelimit import RateLimiter
from gatewayserver.udp.translate import rx_to_uplink, stat_to_status, tx_settings_to_txpk
from gatewayserver.uplinktoken import UplinkToken, encode_token
from gatewayserver.upstream import UplinkForwarder, route
from lorastack.lorawan.devaddr import DevAddrPrefix
from lorastack.lorawan.frequencyplans import FrequencyPlanError, get_plan
from ttn.lorawan.v3 import messages_pb2

__all__ = ["UdpFrontend", "UdpSettings"]

log = structlog.get_logger(logger_name="gatewayserver.udp")

_PROTOCOL = "udp"
Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class UdpSettings:
    queue_size: int = 4096
    workers: int = 4
    forward_prefixes: Sequence[DevAddrPrefix] = ()
    lead_us: int = 150_000
    # Datagrams a second one source address may send before the rest is dropped.
    rate_limit: float = 200.0
    connection_timeout: float = 90.0


@dataclass(slots=True)
class _UdpGateway:
    connection: Connection
    uplink_address: Address
    downlink_address: Address | None = None
    version: int = 2
    last_seen: float = 0.0
    tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class _Endpoint(asyncio.DatagramProtocol):
    """Only queues datagrams: parsing or I/O here would let one gateway stall the socket for all."""

    def __init__(self, frontend: UdpFrontend) -> None:
        self._frontend = frontend

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._frontend.enqueue(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp socket error", error=repr(exc))


class UdpFrontend:
    def __init__(
        self,
        settings: UdpSettings,
        resolver: GatewayResolver,
        connections: ConnectionRegistry,
        forwarder: UplinkForwarder,
        downlinks: DownlinkService,
        stats: StatsRecorder,
        events: EventSink,
        observability: Observability,
    ) -> None:
        self._settings = settings
        self._resolver = resolver
        self._connections = connections
        self._forwarder = forwarder
        self._downlinks = downlinks
        self._stats = stats
        self._events = events
        self._obs = observability
        # Looked up once: labels() costs a lock and a dict look-up on every datagram otherwise.
        self._datagrams = observability.datagrams.labels(_PROTOCOL)
        self._uplinks = observability.uplinks.labels(_PROTOCOL)
        self._queue: asyncio.Queue[tuple[bytes, Address, float]] = asyncio.Queue(settings.queue_size)
        self._limiter = RateLimiter(settings.rate_limit, burst=settings.rate_limit * 2)
        self._gateways: dict[bytes, _UdpGateway] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # Lifecycle ------------------------------------------------------------------------------------

    async def start(self, address: str) -> int:
        """Listen on ``host:port``; returns the bound port (tests pass port 0)."""
        host, _, port = address.rpartition(":")
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self), local_addr=(host.strip("[]") or "0.0.0.0", int(port))
        )
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Bursts from many gateways at once must wait in the kernel rather than be dropped there.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        for index in range(self._settings.workers):
            self._tasks.append(asyncio.create_task(self._work(), name=f"gs-udp-worker-{index}"))
        self._tasks.append(asyncio.create_task(self._expire(), name="gs-udp-expiry"))
        bound: int = transport.get_extra_info("sockname")[1]
        return bound

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._transport is not None:
            self._transport.close()
        for gateway in list(self._gateways.values()):
            self._disconnect(gateway)

    # Receive path ---------------------------------------------------------------------------------

    def enqueue(self, data: bytes, addr: Address) -> None:
        self._datagrams.inc()
        if not self._limiter.allow(f"{addr[0]}:{addr[1]}"):
            self._obs.dropped.labels(_PROTOCOL, "rate_limited").inc()
            return
        try:
            self._queue.put_nowait((data, addr, time.time()))
        except asyncio.QueueFull:
            self._obs.dropped.labels(_PROTOCOL, "queue_full").inc()

    async def _work(self) -> None:
        while True:
            data, addr, received_at = await self._queue.get()
            try:
                await self._handle(data, addr, received_at)
            except codec.CodecError as err:
                self._obs.dropped.labels(_PROTOCOL, err.reason).inc()
                log.debug("invalid datagram", reason=err.reason, error=str(err), remote=addr[0])
            except Exception:
                self._obs.dropped.labels(_PROTOCOL, "internal").inc()
                log.exception("datagram handling failed", remote=addr[0])

    async def _handle(self, data: bytes, addr: Address, received_at: float) -> None:
        datagram = codec.decode(data)
        gateway = await self._gateway(datagram, addr, received_at)
        if gateway is None:
            return
        reply = codec.ack_for(datagram)
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)
        if datagram.type is codec.PacketType.PULL_DATA:
            gateway.downlink_address = addr
        elif datagram.type is codec.PacketType.PUSH_DATA:
            self._push_data(gateway, datagram.payload, received_at)
        elif datagram.type is codec.PacketType.TX_ACK:
            self._tx_ack(gateway, datagram)

    async def _gateway(self, datagram: codec.Datagram, addr: Address, received_at: float) -> _UdpGateway | None:
        known = self._gateways.get(datagram.eui)
        if known is not None and self._connections.get(known.connection.gateway.gateway_id) is known.connection:
            known.last_seen = received_at
            known.version = datagram.version
            known.uplink_address = addr
            return known
        info = await self._resolver.by_eui(datagram.eui)
        if info is None:
            self._obs.dropped.labels(_PROTOCOL, "unknown_gateway").inc()
            log.debug("datagram from unknown gateway", eui=datagram.eui.hex())
            return None
        connection = self._connect(info, addr, received_at)
        if connection is None:
            return None
        gateway = _UdpGateway(connection, addr, version=datagram.version, last_seen=received_at)
        self._gateways[datagram.eui] = gateway
        return gateway

    def _connect(self, info: GatewayInfo, addr: Address, received_at: float) -> Connection | None:
        try:
            plan = get_plan(info.frequency_plan_id)
        except FrequencyPlanError:
            self._obs.dropped.labels(_PROTOCOL, "unknown_frequency_plan").inc()
            return None
        scheduler = Scheduler(
            plan,
            enforce_duty_cycle=info.enforce_duty_cycle,
            antenna_gain=info.antenna_gain,
            lead_us=self._settings.lead_us,
        )
        connection = Connection(info, _PROTOCOL, scheduler, self._transmit, remote_ip=addr[0])
        connection.clock.server_time = received_at
        previous = self._connections.add(connection)
        if previous is not None and previous.protocol != _PROTOCOL:
            log.info("gateway moved to udp", gateway_id=info.gateway_id, previous=previous.protocol)
        self._obs.connected.labels(_PROTOCOL).inc()
        self._stats.connected(info.gateway_id, _PROTOCOL, addr[0])
        self._events.emit(GATEWAY_CONNECT, info.ids)
        return connection

    def _disconnect(self, gateway: _UdpGateway) -> None:
        self._gateways.pop(gateway.connection.gateway.eui, None)
        if self._connections.remove(gateway.connection):
            self._obs.connected.labels(_PROTOCOL).dec()
            self._stats.disconnected(gateway.connection.gateway.gateway_id)
            self._events.emit(GATEWAY_DISCONNECT, gateway.connection.gateway.ids)

    async def _expire(self) -> None:
        """Forget gateways that stopped talking (UDP has no disconnect of its own)."""
        timeout = self._settings.connection_timeout
        while True:
            await asyncio.sleep(min(timeout / 3, 10.0))
            deadline = time.time() - timeout
            for gateway in [g for g in self._gateways.values() if g.last_seen < deadline]:
                self._disconnect(gateway)
            self._limiter.forget_idle()

    # Upstream -------------------------------------------------------------------------------------

    def _push_data(self, gateway: _UdpGateway, payload: bytes, received_at: float) -> None:
        push = codec.parse_push_data(payload)
        for reason in push.rejected:
            self._obs.dropped.labels(_PROTOCOL, reason).inc()
        connection = gateway.connection
        info = connection.gateway
        reference = connection.clock.estimate(received_at)
        latest: int | None = None
        when = datetime.fromtimestamp(received_at, UTC)
        for rx in push.rxpk:
            concentrator_time = unwrap(reference, rx.tmst) if connection.clock.synced else rx.tmst
            latest = concentrator_time if latest is None else max(latest, concentrator_time)

            def token(antenna: int, rx: codec.RxPacket = rx, at: int = concentrator_time) -> bytes:
                return encode_token(UplinkToken(info.gateway_id, info.eui, antenna, rx.tmst, at, received_at, rx.time))

            message = rx_to_uplink(rx, info, when, token)
            message.correlation_ids.append(f"gs:uplink:{uuid.uuid4().hex}")
            self._uplink(connection, message)
        if latest is not None:
            connection.clock.sync_unwrapped(received_at, latest)
        if push.stat is not None:
            status = stat_to_status(push.stat)
            self._obs.statuses.labels(_PROTOCOL).inc()
            self._stats.status(info.gateway_id, status)
            self._events.emit(STATUS_RECEIVE, info.ids, status)

    def _uplink(self, connection: Connection, message: messages_pb2.UplinkMessage) -> None:
        ids = connection.gateway.ids
        self._uplinks.inc()
        self._stats.uplink(ids.gateway_id)
        self._events.emit(UP_RECEIVE, ids, message, message.correlation_ids)
        if message.HasField("crc_status") and not message.crc_status.value:
            reason: str | None = "crc_failed"
        else:
            reason = route(message.raw_payload, self._settings.forward_prefixes)
        if reason is not None:
            self._obs.uplinks_dropped.labels(reason).inc()
            self._events.emit(UP_DROP, ids, None, message.correlation_ids)
            return
        self._forwarder.submit(message)

    # Downstream -----------------------------------------------------------------------------------

    async def _transmit(self, connection: Connection, message: messages_pb2.DownlinkMessage) -> None:
        gateway = self._gateways.get(connection.gateway.eui)
        if gateway is None or gateway.downlink_address is None or self._transport is None:
            raise errors.not_connected(gateway_uid=connection.gateway.gateway_id)
        token = (next(gateway.tokens) & 0xFFFF).to_bytes(2, "big")
        immediate = not connection.clock.synced
        txpk = tx_settings_to_txpk(message.scheduled, message.raw_payload, immediate=immediate)
        self._transport.sendto(codec.encode_pull_resp(gateway.version, token, txpk), gateway.downlink_address)
        connection.pending[token] = (time.time(), message)
        if len(connection.pending) > 64:
            # Version 1 forwarders never acknowledge: keep the table small.
            connection.pending.pop(next(iter(connection.pending)))

    def _tx_ack(self, gateway: _UdpGateway, datagram: codec.Datagram) -> None:
        error = codec.parse_tx_ack(datagram.payload)
        result = messages_pb2.TxAcknowledgment.SUCCESS if error == "NONE" else _TX_RESULTS.get(error, 1)
        self._downlinks.acknowledge(gateway.connection, datagram.token, result)


_TX_RESULTS = {name: value for name, value in messages_pb2.TxAcknowledgment.Result.items()}
