"""The LNS of LoRa Basics Station: ``/router-info`` discovery and ``/traffic/{eui}`` WebSockets (aiohttp).

Each traffic socket is its own task, so a noisy station only slows itself; garbage frames are counted
and skipped, never fatal. The station authenticates with a gateway API key (RIGHT_GATEWAY_LINK).
"""

from __future__ import annotations

import itertools
import json
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from aiohttp import WSMsgType, web

from gatewayserver import errors
from gatewayserver.basicstation import codec
from gatewayserver.basicstation.downstream import dnmsg, router_config, timesync_answer
from gatewayserver.basicstation.upstream import uplink_message
from gatewayserver.connections import Connection, ConnectionRegistry
from gatewayserver.gateways import GatewayInfo, GatewayResolver
from gatewayserver.observability import (
    GATEWAY_CONNECT,
    GATEWAY_DISCONNECT,
    UP_DROP,
    UP_RECEIVE,
    EventSink,
    Observability,
)
from gatewayserver.scheduling.downlink import DownlinkService
from gatewayserver.scheduling.scheduler import Scheduler
from gatewayserver.stats import StatsRecorder
from gatewayserver.udp.ratelimit import RateLimiter
from gatewayserver.upstream import UplinkForwarder, route
from lorastack.errors import LorastackError
from lorastack.lorawan.devaddr import DevAddrPrefix
from lorastack.lorawan.frequencyplans import FrequencyPlan, FrequencyPlanError, get_plan
from lorastack.rights import RightsClient
from lorastack.rpc.auth import Credentials, current_credentials
from ttn.lorawan.v3 import gateway_pb2, messages_pb2, rights_pb2

__all__ = ["LnsFrontend", "LnsSettings"]

log = structlog.get_logger(logger_name="gatewayserver.basicstation")

_PROTOCOL = "ws"
_MAX_MESSAGE = 64 * 1024


@dataclass(frozen=True, slots=True)
class LnsSettings:
    forward_prefixes: Sequence[DevAddrPrefix] = ()
    lead_us: int = 150_000
    rate_limit: float = 100.0
    allow_unauthenticated: bool = False


@dataclass(slots=True)
class _Station:
    ws: web.WebSocketResponse
    connection: Connection
    plan: FrequencyPlan
    session: int = 0
    diids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class LnsFrontend:
    def __init__(
        self,
        settings: LnsSettings,
        resolver: GatewayResolver,
        rights: RightsClient,
        connections: ConnectionRegistry,
        forwarder: UplinkForwarder,
        downlinks: DownlinkService,
        stats: StatsRecorder,
        events: EventSink,
        observability: Observability,
    ) -> None:
        self._settings = settings
        self._resolver = resolver
        self._rights = rights
        self._connections = connections
        self._forwarder = forwarder
        self._downlinks = downlinks
        self._stats = stats
        self._events = events
        self._obs = observability
        self._stations: dict[str, _Station] = {}
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_get("/router-info", self._discover)
        self.app.router.add_get("/traffic/{eui}", self._traffic)

    async def start(self, address: str) -> int:
        host, _, port = address.rpartition(":")
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]") or "0.0.0.0", int(port)))
        await web.SockSite(self._runner, sock).start()
        bound: int = sock.getsockname()[1]
        return bound

    async def stop(self) -> None:
        for station in list(self._stations.values()):
            await station.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Discovery ------------------------------------------------------------------------------------

    async def _discover(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=_MAX_MESSAGE)
        await ws.prepare(request)
        msg = await ws.receive(timeout=10)
        answer: dict[str, object]
        try:
            if msg.type is not WSMsgType.TEXT:
                raise codec.BsCodecError("not_text")
            query = json.loads(msg.data)
            router = query.get("router") if isinstance(query, dict) else None
            eui = codec.parse_eui(router)
            info = await self._resolver.by_eui(eui)
            if info is None:
                answer = {"router": codec.format_id6(eui), "error": "router not provisioned"}
            else:
                uri = f"{request.scheme.replace('http', 'ws')}://{request.host}/traffic/{eui.hex().upper()}"
                answer = {"router": codec.format_id6(eui), "muxs": "muxs-::0", "uri": uri}
        except (codec.BsCodecError, ValueError) as err:
            self._obs.dropped.labels(_PROTOCOL, "invalid_discovery").inc()
            answer = {"error": f"invalid discovery query: {err}"}
        await ws.send_json(answer)
        await ws.close()
        return ws

    # Traffic --------------------------------------------------------------------------------------

    async def _authorize(self, request: web.Request, info: GatewayInfo) -> None:
        header = request.headers.get("Authorization", "").strip()
        if not header:
            if self._settings.allow_unauthenticated:
                return
            raise web.HTTPUnauthorized(text="an API key is required")
        scheme, _, token = header.partition(" ")
        # Stations send the configured header value verbatim; a bare key means Bearer.
        value = token.strip() if scheme.lower() == "bearer" and token else header
        current_credentials.set(Credentials("bearer", value))
        try:
            await self._rights.require("gateway", info.gateway_id, rights_pb2.RIGHT_GATEWAY_LINK)
        except LorastackError:
            raise web.HTTPForbidden(text="the key may not link this gateway") from None

    async def _traffic(self, request: web.Request) -> web.StreamResponse:
        try:
            eui = codec.parse_eui(request.match_info["eui"].removeprefix("eui-"))
        except codec.BsCodecError:
            raise web.HTTPBadRequest(text="invalid gateway EUI") from None
        info = await self._resolver.by_eui(eui)
        if info is None:
            self._obs.dropped.labels(_PROTOCOL, "unknown_gateway").inc()
            raise web.HTTPNotFound(text="gateway not found")
        await self._authorize(request, info)
        try:
            plan = get_plan(info.frequency_plan_id)
        except FrequencyPlanError:
            raise web.HTTPPreconditionFailed(text="unknown frequency plan") from None
        ws = web.WebSocketResponse(max_msg_size=_MAX_MESSAGE, heartbeat=30)
        await ws.prepare(request)
        station = self._connect(ws, info, plan, request.remote or "")
        limiter = RateLimiter(self._settings.rate_limit, burst=self._settings.rate_limit * 2)
        try:
            async for msg in ws:
                self._obs.datagrams.labels(_PROTOCOL).inc()
                if msg.type is not WSMsgType.TEXT:
                    self._obs.dropped.labels(_PROTOCOL, "not_text").inc()
                    continue
                if not limiter.allow(""):
                    self._obs.dropped.labels(_PROTOCOL, "rate_limited").inc()
                    continue
                await self._handle(station, msg.data, time.time())
        finally:
            self._disconnect(station)
        return ws

    def _connect(self, ws: web.WebSocketResponse, info: GatewayInfo, plan: FrequencyPlan, remote: str) -> _Station:
        scheduler = Scheduler(
            plan,
            enforce_duty_cycle=info.enforce_duty_cycle,
            antenna_gain=info.antenna_gain,
            lead_us=self._settings.lead_us,
        )
        connection = Connection(info, _PROTOCOL, scheduler, self._transmit, remote_ip=remote)
        previous = self._stations.get(info.gateway_id)
        station = _Station(ws, connection, plan)
        self._stations[info.gateway_id] = station
        self._connections.add(connection)
        if previous is not None:
            log.info("station reconnected", gateway_id=info.gateway_id)
        self._obs.connected.labels(_PROTOCOL).inc()
        self._stats.connected(info.gateway_id, _PROTOCOL, remote)
        self._events.emit(GATEWAY_CONNECT, info.ids)
        return station

    def _disconnect(self, station: _Station) -> None:
        gateway = station.connection.gateway
        if self._stations.get(gateway.gateway_id) is station:
            del self._stations[gateway.gateway_id]
        self._obs.connected.labels(_PROTOCOL).dec()
        if self._connections.remove(station.connection):
            self._stats.disconnected(gateway.gateway_id)
            self._events.emit(GATEWAY_DISCONNECT, gateway.ids)

    async def _handle(self, station: _Station, text: str, received_at: float) -> None:
        try:
            message = codec.parse_message(text)
            if message.msgtype in ("updf", "jreq", "propdf"):
                self._uplink(station, message, received_at)
            elif message.msgtype == "version":
                self._version(station, message)
                await station.ws.send_json(router_config(station.plan))
            elif message.msgtype == "dntxed":
                diid = message.body.get("diid")
                self._downlinks.acknowledge(station.connection, diid, messages_pb2.TxAcknowledgment.SUCCESS)
            elif message.msgtype == "timesync":
                txtime = message.body.get("txtime", 0)
                if isinstance(txtime, int | float) and not isinstance(txtime, bool):
                    await station.ws.send_json(timesync_answer(float(txtime), time.time()))
            else:
                raise codec.BsCodecError("unknown_msgtype", message.msgtype[:32])
        except codec.BsCodecError as err:
            self._obs.dropped.labels(_PROTOCOL, err.reason).inc()
            log.debug("invalid station message", reason=err.reason, gateway_id=station.connection.gateway.gateway_id)
        except Exception:
            # One bad message must not end the station's session.
            self._obs.dropped.labels(_PROTOCOL, "internal").inc()
            log.exception("station message handling failed", gateway_id=station.connection.gateway.gateway_id)

    def _version(self, station: _Station, message: codec.Upstream) -> None:
        versions = {
            k: str(v)
            for k, v in message.body.items()
            if k in ("station", "firmware", "package", "model", "protocol", "features")
        }
        status = gateway_pb2.GatewayStatus(versions=versions)
        status.time.FromDatetime(datetime.now(UTC))
        gateway = station.connection.gateway
        self._obs.statuses.labels(_PROTOCOL).inc()
        self._stats.status(gateway.gateway_id, status)

    def _uplink(self, station: _Station, message: codec.Upstream, received_at: float) -> None:
        connection = station.connection
        radio = codec.radio_info(message.body)
        uplink = uplink_message(message, radio, connection.gateway, station.plan.band_id, received_at)
        uplink.correlation_ids.append(f"gs:uplink:{uuid.uuid4().hex}")
        station.session = (radio.xtime >> 48) & 0xFFFF
        connection.clock.sync_unwrapped(received_at, radio.xtime & codec.XTIME_MASK)
        ids = connection.gateway.ids
        self._obs.uplinks.labels(_PROTOCOL).inc()
        self._stats.uplink(ids.gateway_id)
        self._events.emit(UP_RECEIVE, ids, uplink, uplink.correlation_ids)
        reason = route(uplink.raw_payload, self._settings.forward_prefixes)
        if reason is not None:
            self._obs.uplinks_dropped.labels(reason).inc()
            self._events.emit(UP_DROP, ids, None, uplink.correlation_ids)
            return
        self._forwarder.submit(uplink)

    async def _transmit(self, connection: Connection, message: messages_pb2.DownlinkMessage) -> None:
        station = self._stations.get(connection.gateway.gateway_id)
        if station is None or station.connection is not connection:
            raise errors.not_connected(gateway_uid=connection.gateway.gateway_id)
        if not connection.clock.synced:
            raise errors.no_clock_sync(gateway_uid=connection.gateway.gateway_id)
        diid = next(station.diids)
        now = time.time()
        body = dnmsg(
            station.plan.band_id, message.scheduled, message.raw_payload, session=station.session, diid=diid, now=now
        )
        connection.pending[diid] = (now, message)
        if len(connection.pending) > 64:
            connection.pending.pop(next(iter(connection.pending)))
        await station.ws.send_json(body)
