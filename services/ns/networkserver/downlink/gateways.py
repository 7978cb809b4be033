"""Asking the Gateway Server to transmit (NsGs.ScheduleDownlink): downlink paths from the
receptions, best signal first, and RX1 then RX2, falling back when the GS refuses a window."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc

from lorastack.lorawan import Band, FSKModulation, LoRaModulation
from networkserver.observability import NsMetrics
from ttn.lorawan.v3 import gatewayserver_pb2_grpc, lorawan_pb2, messages_pb2, metadata_pb2

__all__ = ["GatewayScheduler", "RxWindow", "data_rate_proto", "downlink_paths"]

MAX_PATHS = 3


@dataclass(frozen=True, slots=True)
class RxWindow:
    name: str  # rx1, rx2 or class_c
    frequency: int
    data_rate_index: int


def data_rate_proto(band: Band, index: int) -> lorawan_pb2.DataRate:
    modulation = band.data_rate(index).modulation
    if isinstance(modulation, LoRaModulation):
        return lorawan_pb2.DataRate(
            lora=lorawan_pb2.LoRaDataRate(
                bandwidth=modulation.bandwidth,
                spreading_factor=modulation.spreading_factor,
                coding_rate=modulation.coding_rate,
            )
        )
    if isinstance(modulation, FSKModulation):
        return lorawan_pb2.DataRate(fsk=lorawan_pb2.FSKDataRate(bit_rate=modulation.bit_rate))
    return lorawan_pb2.DataRate()


def downlink_paths(rx_metadata: Sequence[metadata_pb2.RxMetadata]) -> list[lorawan_pb2.DownlinkPath]:
    """Uplink tokens of the receptions, best SNR (then RSSI) first."""
    ranked = sorted(
        (md for md in rx_metadata if md.uplink_token), key=lambda md: (md.snr, md.channel_rssi), reverse=True
    )
    return [lorawan_pb2.DownlinkPath(uplink_token=md.uplink_token) for md in ranked[:MAX_PATHS]]


class GatewayScheduler:
    """Sends a downlink through the GS, one window after the other."""

    def __init__(
        self,
        channel: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], Sequence[tuple[str, str]]],
        metrics: NsMetrics,
        timeout: float = 1.0,
    ) -> None:
        self._channel = channel
        self._metadata = metadata
        self._metrics = metrics
        self._timeout = timeout

    async def schedule(
        self,
        message: messages_pb2.DownlinkMessage,
        windows: Sequence[RxWindow],
        band: Band,
        *,
        rx1_delay: int,
    ) -> tuple[RxWindow | None, list[str]]:
        """Try each window in turn; the window that the GS accepted (or None) and the errors met."""
        channel = self._channel()
        errors: list[str] = []
        if channel is None:
            return None, ["no gateway server configured"]
        stub = gatewayserver_pb2_grpc.NsGsStub(channel)
        for window in windows:
            attempt = messages_pb2.DownlinkMessage()
            attempt.CopyFrom(message)
            request = attempt.request
            request.rx1_delay = rx1_delay  # type: ignore[assignment]
            if window.name == "rx1":
                request.rx1_frequency = window.frequency
                request.rx1_data_rate.CopyFrom(data_rate_proto(band, window.data_rate_index))
            else:
                request.rx2_frequency = window.frequency
                request.rx2_data_rate.CopyFrom(data_rate_proto(band, window.data_rate_index))
            started = time.perf_counter()
            try:
                await stub.ScheduleDownlink(attempt, metadata=tuple(self._metadata()), timeout=self._timeout)
            except grpc.aio.AioRpcError as err:
                self._metrics.downlinks.labels(window=window.name, result="refused").inc()
                errors.append(f"{window.name}: {err.code().name} {err.details()}")
                continue
            finally:
                self._metrics.hop_latency.labels(hop="ns_gs_schedule").observe(time.perf_counter() - started)
            self._metrics.downlinks.labels(window=window.name, result="scheduled").inc()
            message.CopyFrom(attempt)
            return window, errors
        return None, errors
