"""The data uplink pipeline after deduplication, as named steps: decode, find the device by
DevAddr and MIC, process, persist with the ApplicationUp in one atomic step, report, and start
the downlink. A concurrent writer makes the persist step fail; the pipeline then starts over from
the fresh record, so no FCnt or MAC state update is ever lost."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import structlog

from lorastack import events
from lorastack.events import EventBus
from lorastack.lorawan import Band, LoRaModulation, MACPayload, MType, PHYPayload
from networkserver.macstate import band_of
from networkserver.observability import (
    EVT_UP_DATA_DROP,
    EVT_UP_DATA_PROCESS,
    EVT_UP_DATA_RECEIVE,
    NsMetrics,
    device_ref,
    mac_event,
)
from networkserver.store import DeviceRegistry, DeviceWrite, StoredDevice
from networkserver.uplink.match import Match, UplinkFrame, is_replay, match_device
from networkserver.uplink.process import Processed, UplinkFacts, process_data_uplink
from ttn.lorawan.v3 import end_device_pb2, error_pb2, messages_pb2

__all__ = ["DataUplinkHandler", "DownlinkStarter", "data_rate_index", "drop"]

log = structlog.get_logger(logger_name="networkserver.uplink")

_MAX_ATTEMPTS = 8


class DownlinkStarter(Protocol):
    """``networkserver.downlink.tasks.DownlinkWorker``: told when uplinks made downlink tasks due."""

    def poke(self) -> None: ...


def _mac_payload(phy: PHYPayload) -> MACPayload:
    payload = phy.payload
    assert isinstance(payload, MACPayload)
    return payload


def data_rate_index(band: Band, uplink: messages_pb2.UplinkMessage | end_device_pb2.MACState.UplinkMessage) -> int:
    lora = uplink.settings.data_rate.lora
    return band.find_data_rate(LoRaModulation(lora.spreading_factor, lora.bandwidth)).index


def _channel_index(device: end_device_pb2.EndDevice, frequency: int) -> int:
    # Right after a join only the pending MAC state knows the channels (the CFList's among them); a 1.1
    # MIC covers the channel index, so guessing 0 there drops every uplink off the default channels.
    for state in (device.mac_state, device.pending_mac_state):
        for index, channel in enumerate(state.current_parameters.channels):
            if channel.uplink_frequency == frequency:
                return index
    return 0


async def drop(
    bus: EventBus | None, metrics: NsMetrics, uplink: messages_pb2.UplinkMessage, reason: str, ids: Sequence[object]
) -> None:
    """Count and announce a dropped uplink, on the devices concerned or else on its gateways."""
    metrics.uplinks.labels(outcome=reason).inc()
    log.info("uplink dropped", reason=reason, correlation_ids=list(uplink.correlation_ids))
    if bus is None:
        return
    identifiers = list(ids) or [events.gateway(md.gateway_ids.gateway_id) for md in uplink.rx_metadata[:1]]
    if identifiers:
        await bus.publish(
            EVT_UP_DATA_DROP,
            identifiers=identifiers,  # type: ignore[arg-type]
            data=error_pb2.ErrorDetails(namespace="pkg/networkserver", name=reason, message_format=reason),
            correlation_ids=list(uplink.correlation_ids),
        )


class DataUplinkHandler:
    def __init__(
        self,
        devices: DeviceRegistry,
        bus: EventBus | None,
        metrics: NsMetrics,
        downlinks: DownlinkStarter | None = None,
    ) -> None:
        self._devices = devices
        self._bus = bus
        self._metrics = metrics
        self._downlinks = downlinks

    def _facts_for(
        self, stored: StoredDevice, phy: PHYPayload, uplink: messages_pb2.UplinkMessage, raw: bytes
    ) -> tuple[UplinkFrame, UplinkFacts] | None:
        payload = phy.payload
        assert isinstance(payload, MACPayload)
        try:
            band = band_of(stored.device)
            dr = data_rate_index(band, uplink)
        except Exception:
            return None
        channel = _channel_index(stored.device, uplink.settings.frequency)
        frame = UplinkFrame(
            payload.fhdr.dev_addr, payload.fhdr.f_cnt, payload.fhdr.f_ctrl.ack, raw[:-4], phy.mic, dr, channel
        )
        received = uplink.received_at.ToDatetime(UTC) if uplink.HasField("received_at") else datetime.now(UTC)
        facts = UplinkFacts(uplink, payload, phy.mhdr.mtype == MType.CONFIRMED_DATA_UP, band, dr, channel, received)
        return frame, facts

    def _find(
        self, candidates: list[StoredDevice], phy: PHYPayload, uplink: messages_pb2.UplinkMessage, raw: bytes
    ) -> tuple[Match, UplinkFacts] | None:
        for stored in candidates:
            built = self._facts_for(stored, phy, uplink, raw)
            if built is None:
                continue
            found = match_device([stored], built[0])
            if found is not None:
                return found, built[1]
        return None

    async def _drop_unmatched(
        self, candidates: list[StoredDevice], phy: PHYPayload, uplink: messages_pb2.UplinkMessage, raw: bytes
    ) -> None:
        for stored in candidates:
            built = self._facts_for(stored, phy, uplink, raw)
            if built is not None and is_replay(stored, built[0]):
                ids = [device_ref(stored)]
                await drop(self._bus, self._metrics, uplink, "f_cnt_replay", ids)
                return
        ids = [device_ref(s) for s in candidates]
        await drop(self._bus, self._metrics, uplink, "mic_mismatch", ids)

    async def handle(self, uplink: messages_pb2.UplinkMessage, phy: PHYPayload) -> Processed | None:
        """Run the pipeline for one deduplicated uplink; None when it was dropped."""
        return (await self.handle_batch([(uplink, phy)]))[0]

    async def handle_batch(
        self, items: Sequence[tuple[messages_pb2.UplinkMessage, PHYPayload]]
    ) -> list[Processed | None]:
        """Run the pipeline for uplinks whose windows closed together, each Redis step pipelined
        for the whole batch; an uplink that lost a race is simply run again on fresh records."""
        started = time.perf_counter()
        results: list[Processed | None] = [None] * len(items)
        pending = list(range(len(items)))
        for _ in range(_MAX_ATTEMPTS):
            if not pending:
                break
            addrs = [_mac_payload(items[i][1]).fhdr.dev_addr.value for i in pending]
            candidate_lists = await self._devices.by_dev_addrs(addrs)
            writes: list[tuple[int, Match, end_device_pb2.EndDevice, Processed]] = []
            retry: list[int] = []
            owners: set[tuple[str, str]] = set()
            for index, candidates in zip(pending, candidate_lists, strict=True):
                prepared = await self._prepare(index, candidates, *items[index])
                if prepared is None:
                    continue
                owner = (prepared[1].stored.application_id, prepared[1].stored.device_id)
                if owner in owners:
                    retry.append(index)  # a second uplink of one device waits for the first's write
                    continue
                owners.add(owner)
                writes.append(prepared)
            now_ms = int(time.time() * 1000)
            versions = await self._devices.put_many(
                [
                    DeviceWrite(
                        m.stored.application_id,
                        m.stored.device_id,
                        dev,
                        m.stored.version,
                        p.application_ups,
                        now_ms if p.needs_downlink and self._downlinks is not None else None,
                    )
                    for _, m, dev, p in writes
                ]
            )
            for (index, match, device, processed), version in zip(writes, versions, strict=True):
                if version is None:
                    retry.append(index)
                    continue
                results[index] = processed
                updated = StoredDevice(match.stored.application_id, match.stored.device_id, version, device)
                await self._report(updated, processed, items[index][0].correlation_ids)
            if self._downlinks is not None and any(p.needs_downlink for _, _, _, p in writes):
                self._downlinks.poke()
            pending = sorted(retry)
        for index in pending:
            await drop(self._bus, self._metrics, items[index][0], "too_many_conflicts", [])
        self._metrics.hop_latency.labels(hop="ns_process_batch").observe(time.perf_counter() - started)
        return results

    async def _prepare(
        self, index: int, candidates: list[StoredDevice], uplink: messages_pb2.UplinkMessage, phy: PHYPayload
    ) -> tuple[int, Match, end_device_pb2.EndDevice, Processed] | None:
        raw = uplink.raw_payload
        if not candidates:
            await drop(self._bus, self._metrics, uplink, "unknown_dev_addr", [])
            return None
        found = self._find(candidates, phy, uplink, raw)
        if found is None:
            await self._drop_unmatched(candidates, phy, uplink, raw)
            return None
        match, facts = found
        device = end_device_pb2.EndDevice()
        device.CopyFrom(match.stored.device)
        return index, match, device, process_data_uplink(device, match, facts)

    async def _report(self, stored: StoredDevice, processed: Processed, correlation_ids: Sequence[str]) -> None:
        self._metrics.uplinks.labels(outcome="processed").inc()
        for up in processed.application_ups:
            self._metrics.application_ups.labels(kind=up.WhichOneof("up") or "unknown").inc()
        if self._bus is None:
            return
        ids = [device_ref(stored)]
        await self._bus.publish(EVT_UP_DATA_RECEIVE, identifiers=ids, correlation_ids=correlation_ids)
        await self._bus.publish(EVT_UP_DATA_PROCESS, identifiers=ids, correlation_ids=correlation_ids)
        for command, kind in processed.mac.events:
            await self._bus.publish(mac_event(command, kind), identifiers=ids, correlation_ids=correlation_ids)
