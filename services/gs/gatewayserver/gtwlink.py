"""Gateways that speak the ttn.lorawan.v3 GtwGs API themselves: identity from their API key, the link stream.

The key's owner comes from the IS (EntityAccess.AuthInfo) and must hold RIGHT_GATEWAY_LINK on it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

import grpc
from google.protobuf import empty_pb2

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
from gatewayserver.uplinktoken import UplinkToken, encode_token
from gatewayserver.upstream import UplinkForwarder, route
from lorastack.lorawan.devaddr import DevAddrPrefix
from lorastack.lorawan.frequencyplans import FrequencyPlan, FrequencyPlanError, get_plan
from lorastack.rights import RightsClient
from lorastack.rpc.auth import current_credentials
from ttn.lorawan.v3 import (
    gatewayserver_pb2,
    identifiers_pb2,
    identityserver_pb2,
    identityserver_pb2_grpc,
    messages_pb2,
    regional_pb2,
    rights_pb2,
)

__all__ = ["GrpcFrontend", "concentrator_config"]

_PROTOCOL = "grpc"


def concentrator_config(plan: FrequencyPlan) -> regional_pb2.ConcentratorConfig:
    config = regional_pb2.ConcentratorConfig(clock_source=plan.clock_source)
    for ch in plan.uplink_channels:
        config.channels.add(frequency=ch.frequency, radio=ch.radio)
    if plan.lora_standard_channel is not None:
        std = plan.lora_standard_channel
        config.lora_standard_channel.frequency, config.lora_standard_channel.radio = std.frequency, std.radio
    if plan.fsk_channel is not None:
        config.fsk_channel.frequency, config.fsk_channel.radio = plan.fsk_channel.frequency, plan.fsk_channel.radio
    config.ping_slot.frequency = plan.ping_slot.frequency
    for radio in plan.radios:
        out = config.radios.add(
            enable=radio.enable, chip_type=radio.chip_type, frequency=radio.frequency, rssi_offset=radio.rssi_offset
        )
        if radio.tx is not None:
            out.tx_configuration.min_frequency = radio.tx.min_frequency
            out.tx_configuration.max_frequency = radio.tx.max_frequency
            out.tx_configuration.notch_frequency = radio.tx.notch_frequency or 0
    return config


class GrpcFrontend:
    def __init__(
        self,
        is_channel: Callable[[], grpc.aio.Channel | None],
        rights: RightsClient,
        resolver: GatewayResolver,
        connections: ConnectionRegistry,
        forwarder: UplinkForwarder,
        downlinks: DownlinkService,
        stats: StatsRecorder,
        events: EventSink,
        observability: Observability,
        *,
        forward_prefixes: Sequence[DevAddrPrefix] = (),
        lead_us: int = 150_000,
    ) -> None:
        self._is_channel = is_channel
        self._rights = rights
        self._resolver = resolver
        self._connections = connections
        self._forwarder = forwarder
        self._downlinks = downlinks
        self._stats = stats
        self._events = events
        self._obs = observability
        self._prefixes = forward_prefixes
        self._lead_us = lead_us
        self._queues: dict[int, asyncio.Queue[gatewayserver_pb2.GatewayDown]] = {}

    async def identify(self) -> tuple[GatewayInfo, FrequencyPlan]:
        """The gateway whose API key the caller presented, with its plan."""
        credentials = current_credentials.get()
        channel = self._is_channel()
        if credentials is None or channel is None:
            raise errors.not_a_gateway()
        stub = identityserver_pb2_grpc.EntityAccessStub(channel)
        auth = (("authorization", f"Bearer {credentials.value}"),)
        try:
            info: identityserver_pb2.AuthInfoResponse = await stub.AuthInfo(empty_pb2.Empty(), metadata=auth, timeout=5)
        except grpc.aio.AioRpcError:
            raise errors.not_a_gateway() from None
        if info.HasField("gateway_token"):
            ids = info.gateway_token.gateway_ids
        elif info.api_key.entity_ids.HasField("gateway_ids"):
            ids = info.api_key.entity_ids.gateway_ids
        else:
            raise errors.not_a_gateway()
        await self._rights.require("gateway", ids.gateway_id, rights_pb2.RIGHT_GATEWAY_LINK)
        gateway = await self._resolver.by_ids(
            identifiers_pb2.GatewayIdentifiers(gateway_id=ids.gateway_id, eui=ids.eui)
        )
        try:
            return gateway, get_plan(gateway.frequency_plan_id)
        except FrequencyPlanError:
            raise errors.unknown_frequency_plan(id=gateway.frequency_plan_id) from None

    async def link(
        self, gateway: GatewayInfo, plan: FrequencyPlan, requests: AsyncIterator[gatewayserver_pb2.GatewayUp], peer: str
    ) -> AsyncIterator[gatewayserver_pb2.GatewayDown]:
        scheduler = Scheduler(
            plan,
            enforce_duty_cycle=gateway.enforce_duty_cycle,
            antenna_gain=gateway.antenna_gain,
            lead_us=self._lead_us,
        )
        connection = Connection(gateway, _PROTOCOL, scheduler, self._transmit, remote_ip=peer)
        queue: asyncio.Queue[gatewayserver_pb2.GatewayDown] = asyncio.Queue(64)
        self._queues[id(connection)] = queue
        self._connections.add(connection)
        self._obs.connected.labels(_PROTOCOL).inc()
        self._stats.connected(gateway.gateway_id, _PROTOCOL, peer)
        self._events.emit(GATEWAY_CONNECT, gateway.ids)
        reader = asyncio.create_task(self._read(connection, requests))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                return
        finally:
            reader.cancel()
            self._queues.pop(id(connection), None)
            self._obs.connected.labels(_PROTOCOL).dec()
            if self._connections.remove(connection):
                self._stats.disconnected(gateway.gateway_id)
                self._events.emit(GATEWAY_DISCONNECT, gateway.ids)

    async def _read(self, connection: Connection, requests: AsyncIterator[gatewayserver_pb2.GatewayUp]) -> None:
        async for up in requests:
            received_at = time.time()
            self._obs.datagrams.labels(_PROTOCOL).inc()
            for message in up.uplink_messages:
                self._uplink(connection, message, received_at)
            if up.HasField("gateway_status"):
                self._obs.statuses.labels(_PROTOCOL).inc()
                self._stats.status(connection.gateway.gateway_id, up.gateway_status)
                self._events.emit(STATUS_RECEIVE, connection.gateway.ids, up.gateway_status)
            if up.HasField("tx_acknowledgment"):
                ack = up.tx_acknowledgment
                key = next((c for c in ack.correlation_ids if c in connection.pending), None)
                self._downlinks.acknowledge(connection, key, ack.result)

    def _uplink(self, connection: Connection, message: messages_pb2.UplinkMessage, received_at: float) -> None:
        gateway = connection.gateway
        reference = connection.clock.estimate(received_at)
        latest = None
        for md in message.rx_metadata:
            at = unwrap(reference, md.timestamp) if connection.clock.synced else md.timestamp
            latest = at if latest is None else max(latest, at)
            md.gateway_ids.CopyFrom(gateway.ids)
            token = UplinkToken(gateway.gateway_id, gateway.eui, md.antenna_index, md.timestamp, at, received_at)
            md.uplink_token = encode_token(token)
            md.received_at.FromDatetime(datetime.fromtimestamp(received_at, UTC))
        if latest is not None:
            connection.clock.sync_unwrapped(received_at, latest)
        message.received_at.FromDatetime(datetime.fromtimestamp(received_at, UTC))
        message.correlation_ids.append(f"gs:uplink:{uuid.uuid4().hex}")
        self._obs.uplinks.labels(_PROTOCOL).inc()
        self._stats.uplink(gateway.gateway_id)
        self._events.emit(UP_RECEIVE, gateway.ids, message, message.correlation_ids)
        dropped = message.HasField("crc_status") and not message.crc_status.value
        reason = "crc_failed" if dropped else route(message.raw_payload, self._prefixes)
        if reason is not None:
            self._obs.uplinks_dropped.labels(reason).inc()
            self._events.emit(UP_DROP, gateway.ids, None, message.correlation_ids)
            return
        self._forwarder.submit(message)

    async def _transmit(self, connection: Connection, message: messages_pb2.DownlinkMessage) -> None:
        queue = self._queues.get(id(connection))
        if queue is None:
            raise errors.not_connected(gateway_uid=connection.gateway.gateway_id)
        key = f"gs:downlink:{uuid.uuid4().hex}"
        message.correlation_ids.append(key)
        if not connection.clock.synced:
            message.scheduled.timestamp = 0  # no clock yet: the gateway sends at once
        connection.pending[key] = (time.time(), message)
        if len(connection.pending) > 64:
            connection.pending.pop(next(iter(connection.pending)))
        try:
            queue.put_nowait(gatewayserver_pb2.GatewayDown(downlink_message=message))
        except asyncio.QueueFull:
            raise errors.not_connected(gateway_uid=connection.gateway.gateway_id) from None
