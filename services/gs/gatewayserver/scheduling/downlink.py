"""NsGs.ScheduleDownlink as a domain flow: pick a path, turn RX1/RX2/class C into concentrator time, send.

Class A windows open ``RECEIVE_DELAY1`` (and one second later ``RECEIVE_DELAY2``) after the uplink ended
(LoRaWAN 1.0.4 section 3.3); class C transmits as soon as the gateway is free (section 17).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from google.protobuf import duration_pb2

from gatewayserver import errors
from gatewayserver.clock import unwrap
from gatewayserver.connections import Connection, ConnectionRegistry
from gatewayserver.observability import DOWN_SEND, DOWN_TX_FAIL, DOWN_TX_SUCCESS, EventSink, Observability
from gatewayserver.scheduling.scheduler import Emission
from gatewayserver.stats import StatsRecorder
from gatewayserver.uplinktoken import TokenError, UplinkToken, decode_token
from lorastack.errors import LorastackError
from lorastack.lorawan.band import FSKModulation, LoRaModulation, Modulation
from ttn.lorawan.v3 import gatewayserver_pb2, lorawan_pb2, messages_pb2

__all__ = ["DownlinkService", "RemoteScheduler", "modulation_of"]

log = structlog.get_logger(logger_name="gatewayserver.downlink")

_RESULT_NAMES: dict[int, str] = {int(v): k for k, v in messages_pb2.TxAcknowledgment.Result.items()}


def modulation_of(rate: lorawan_pb2.DataRate) -> Modulation:
    if rate.HasField("lora") and rate.lora.spreading_factor and rate.lora.bandwidth:
        return LoRaModulation(rate.lora.spreading_factor, rate.lora.bandwidth, rate.lora.coding_rate or "4/5")
    if rate.HasField("fsk") and rate.fsk.bit_rate:
        return FSKModulation(rate.fsk.bit_rate)
    raise errors.unsupported_data_rate(reason="neither LoRa nor FSK")


class RemoteScheduler(Protocol):
    async def schedule(
        self, gateway_id: str, message: messages_pb2.DownlinkMessage
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse | None:
        """Schedule on the replica holding the gateway; None when no other replica holds it."""


@dataclass(frozen=True, slots=True)
class _Window:
    start: int | None  # None: as soon as possible
    frequency: int
    data_rate: lorawan_pb2.DataRate
    rx1: bool
    rx2: bool


class DownlinkService:
    def __init__(
        self,
        connections: ConnectionRegistry,
        observability: Observability,
        events: EventSink,
        stats: StatsRecorder,
        *,
        remote: RemoteScheduler | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._remote = remote
        self._connections = connections
        self._obs = observability
        self._events = events
        self._stats = stats
        self._clock = clock

    async def schedule(
        self, message: messages_pb2.DownlinkMessage, *, allow_forward: bool = True
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse:
        """Schedule on the first path that works; paths of gateways on other replicas are handed to them."""
        if not message.HasField("request") or not message.request.downlink_paths:
            raise errors.no_downlink_path()
        failures: list[LorastackError] = []
        for path in message.request.downlink_paths:
            try:
                gateway_id, antenna, token = self._target(path)
                connection = self._connections.get(gateway_id)
                if connection is None:
                    return await self._elsewhere(gateway_id, message, path, allow_forward)
                uplink_at = None
                if token is not None:
                    # Place the uplink in this connection's clock by its 32-bit timestamp: survives reconnects.
                    uplink_at = unwrap(connection.clock.estimate(token.server_time), token.timestamp)
                emission, window = self._book(connection, message, self._windows(message.request, uplink_at))
                return await self._send(connection, message, path, antenna, emission, window)
            except LorastackError as err:
                self._obs.downlinks_refused.labels(err.definition.name).inc()
                failures.append(err)
        if len(failures) == 1:
            raise failures[0]
        raise errors.schedule_failed(count=len(failures), cause=failures[-1])

    @staticmethod
    def _target(path: lorawan_pb2.DownlinkPath) -> tuple[str, int, UplinkToken | None]:
        if path.HasField("uplink_token"):
            try:
                token = decode_token(path.uplink_token)
            except TokenError as err:
                raise errors.invalid_uplink_token(cause=err) from None
            return token.gateway_id, token.antenna_index, token
        if path.HasField("fixed"):
            return path.fixed.gateway_ids.gateway_id, path.fixed.antenna_index, None
        raise errors.no_downlink_path()

    async def _elsewhere(
        self,
        gateway_id: str,
        message: messages_pb2.DownlinkMessage,
        path: lorawan_pb2.DownlinkPath,
        allow_forward: bool,
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse:
        if allow_forward and self._remote is not None:
            single = messages_pb2.DownlinkMessage()
            single.CopyFrom(message)
            del single.request.downlink_paths[:]
            single.request.downlink_paths.append(path)
            response = await self._remote.schedule(gateway_id, single)
            if response is not None:
                return response
        raise errors.not_connected(gateway_uid=gateway_id)

    @staticmethod
    def _windows(request: lorawan_pb2.TxRequest, uplink_at: int | None) -> list[_Window]:
        if getattr(request, "class") == lorawan_pb2.CLASS_A:
            if uplink_at is None:
                raise errors.no_downlink_path()
            delay = max(int(request.rx1_delay), 1) * 1_000_000
            windows = []
            if request.rx1_frequency and request.HasField("rx1_data_rate"):
                windows.append(_Window(uplink_at + delay, request.rx1_frequency, request.rx1_data_rate, True, False))
            if request.rx2_frequency and request.HasField("rx2_data_rate"):
                windows.append(
                    _Window(uplink_at + delay + 1_000_000, request.rx2_frequency, request.rx2_data_rate, False, True)
                )
            return windows
        if getattr(request, "class") == lorawan_pb2.CLASS_C:
            return [_Window(None, request.rx2_frequency, request.rx2_data_rate, False, True)]
        raise errors.unsupported_data_rate(reason="class B ping slots are not supported")

    def _book(
        self, connection: Connection, message: messages_pb2.DownlinkMessage, windows: list[_Window]
    ) -> tuple[Emission, _Window]:
        if not windows:
            raise errors.no_downlink_path()
        scheduler = connection.scheduler
        now = connection.clock.estimate(self._clock())
        scheduler.forget_before(now)
        size = len(message.raw_payload)
        last: LorastackError | None = None
        for window in windows:
            try:
                modulation = modulation_of(window.data_rate)
                if window.start is None:
                    return scheduler.schedule_anytime(now, size, modulation, window.frequency, now), window
                return scheduler.schedule_at(window.start, size, modulation, window.frequency, now), window
            except LorastackError as err:
                last = err
        assert last is not None
        raise last

    async def _send(
        self,
        connection: Connection,
        message: messages_pb2.DownlinkMessage,
        path: lorawan_pb2.DownlinkPath,
        antenna: int,
        emission: Emission,
        window: _Window,
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse:
        settings = lorawan_pb2.TxSettings(
            data_rate=window.data_rate,
            frequency=emission.frequency,
            timestamp=emission.start & 0xFFFFFFFF,
            concentrator_timestamp=emission.start,
            downlink=lorawan_pb2.TxSettings.Downlink(
                antenna_index=antenna, tx_power=emission.tx_power, invert_polarization=True
            ),
        )
        scheduled = messages_pb2.DownlinkMessage(
            raw_payload=message.raw_payload,
            end_device_ids=message.end_device_ids,
            correlation_ids=message.correlation_ids,
            session_key_id=message.session_key_id,
            scheduled=settings,
        )
        await connection.transmit(connection, scheduled)
        gateway_ids = connection.gateway.ids
        self._obs.downlinks.labels(connection.protocol).inc()
        self._stats.downlink(connection.gateway.gateway_id)
        self._events.emit(DOWN_SEND, gateway_ids, scheduled, message.correlation_ids)
        now = connection.clock.estimate(self._clock())
        delay = duration_pb2.Duration()
        delay.FromMicroseconds(max(emission.start - now, 0))
        return gatewayserver_pb2.ScheduleDownlinkResponse(
            delay=delay, downlink_path=path, rx1=window.rx1, rx2=window.rx2
        )

    def acknowledge(self, connection: Connection, key: object, result: int) -> None:
        """A gateway's TX acknowledgment of the downlink sent under ``key`` (TxAcknowledgment.Result)."""
        sent = connection.pending.pop(key, None)
        round_trip = None
        ack = messages_pb2.TxAcknowledgment(result=result)  # type: ignore[arg-type]
        if sent is not None:
            sent_at, downlink = sent
            round_trip = self._clock() - sent_at
            ack.downlink_message.CopyFrom(downlink)
            ack.correlation_ids.extend(downlink.correlation_ids)
        self._stats.tx_ack(connection.gateway.gateway_id, round_trip)
        self._obs.tx_acks.labels(connection.protocol, _RESULT_NAMES.get(result, "UNKNOWN_ERROR")).inc()
        definition = DOWN_TX_SUCCESS if result == messages_pb2.TxAcknowledgment.SUCCESS else DOWN_TX_FAIL
        self._events.emit(definition, connection.gateway.ids, ack, ack.correlation_ids)
