"""Downlink flows: a queued (re)join-accept in JoinAccept1 then JoinAccept2, class A in the RX1 then
RX2 window of the device's last uplink, class C as soon as the application queues data. The downlink
task worker (``downlink.tasks``) runs them from the Redis task queue, so any replica does the work.
A transmitted downlink is persisted on the fresh record."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from lorastack import events
from lorastack.events import EventBus
from lorastack.lorawan import Band, MACCommand
from networkserver.downlink.frames import DataDownlink, build_data_downlink
from networkserver.downlink.gateways import GatewayScheduler, RxWindow, downlink_paths
from networkserver.mac import encode_stored, plan_requests
from networkserver.mac.common import command_name
from networkserver.macstate import band_of
from networkserver.observability import (
    EVT_DOWN_DATA_SCHEDULE_ATTEMPT,
    EVT_DOWN_DATA_SCHEDULE_FAIL,
    EVT_DOWN_DATA_SCHEDULE_SUCCESS,
    EVT_DOWN_JOIN_ACCEPT_SCHEDULE_ATTEMPT,
    EVT_DOWN_JOIN_ACCEPT_SCHEDULE_FAIL,
    EVT_DOWN_JOIN_ACCEPT_SCHEDULE_SUCCESS,
    device_ref,
    mac_event,
)
from networkserver.registry import update_device
from networkserver.store import DeviceRegistry, DownlinkTaskQueue, StoredDevice
from networkserver.uplink.data import data_rate_index
from networkserver.uplink.process import timestamp
from ttn.lorawan.v3 import end_device_pb2, error_pb2, lorawan_pb2, messages_pb2

__all__ = ["Downlinks", "class_a_windows", "join_accept_windows"]

log = structlog.get_logger(logger_name="networkserver.downlink")

_RECENT_DOWNLINKS = 10
_TOO_LONG = error_pb2.ErrorDetails(
    namespace="pkg/networkserver",
    name="application_downlink_too_long",
    message_format="application downlink is too long for the data rate of its window",
)
_NOT_SCHEDULED = error_pb2.ErrorDetails(
    namespace="pkg/networkserver",
    name="downlink_not_scheduled",
    message_format="no gateway accepted the class C downlink",
)


def _rx1_frequency(device: end_device_pb2.EndDevice, band: Band, uplink_frequency: int) -> int:
    for channel in device.mac_state.current_parameters.channels:
        if channel.uplink_frequency == uplink_frequency and channel.downlink_frequency:
            return int(channel.downlink_frequency)
    return band.rx1_frequency(uplink_frequency)


def _uplink_frequency(device: end_device_pb2.EndDevice, uplink: end_device_pb2.MACState.UplinkMessage) -> int:
    channels = device.mac_state.current_parameters.channels
    index = uplink.device_channel_index
    return int(channels[index].uplink_frequency) if index < len(channels) else 0


def class_a_windows(
    device: end_device_pb2.EndDevice, band: Band, uplink: end_device_pb2.MACState.UplinkMessage, now: float
) -> list[RxWindow]:
    """The RX1 and RX2 windows of ``uplink`` that have not opened by ``now`` (seconds since the epoch)."""
    current = device.mac_state.current_parameters
    rx1_at = uplink.received_at.ToNanoseconds() / 1e9 + (current.rx1_delay or 1)
    windows: list[RxWindow] = []
    if now < rx1_at:
        try:
            rx1_dr = band.rx1_data_rate(data_rate_index(band, uplink), current.rx1_data_rate_offset)
            frequency = _rx1_frequency(device, band, _uplink_frequency(device, uplink))
            windows.append(RxWindow("rx1", frequency, rx1_dr))
        except Exception:
            log.debug("no rx1 window for this uplink")
    if now < rx1_at + 1:
        windows.append(RxWindow("rx2", current.rx2_frequency or band.rx2_frequency, current.rx2_data_rate_index))
    return windows


def join_accept_windows(
    state: end_device_pb2.MACState, band: Band, request: end_device_pb2.MACState.UplinkMessage, now: float
) -> list[RxWindow]:
    """The JoinAccept1 and JoinAccept2 windows of a (re)join-request (kept in the pending MAC state)
    that have not opened by ``now``; both use the band's defaults, not the device's settings."""
    received = request.received_at.ToNanoseconds() / 1e9
    windows: list[RxWindow] = []
    channels = state.current_parameters.channels
    if now < received + band.join_accept_delay_1 and request.device_channel_index < len(channels):
        try:
            frequency = band.rx1_frequency(int(channels[request.device_channel_index].uplink_frequency))
            windows.append(RxWindow("rx1", frequency, band.rx1_data_rate(data_rate_index(band, request), 0)))
        except Exception:
            log.debug("no JoinAccept1 window for this request")
    if now < received + band.join_accept_delay_2:
        windows.append(RxWindow("rx2", band.rx2_frequency, band.rx2_data_rate_index))
    return windows


class Downlinks:
    """The class A and class C flows that the downlink task worker runs for one device."""

    def __init__(
        self,
        devices: DeviceRegistry,
        gateways: GatewayScheduler,
        tasks: DownlinkTaskQueue,
        bus: EventBus | None,
        *,
        status_count: int = 200,
        class_c_attempts: int = 5,
        retry_ms: int = 1000,
    ) -> None:
        self._class_c_attempts = class_c_attempts
        self._retry_ms = retry_ms
        self._devices = devices
        self._gateways = gateways
        self._tasks = tasks
        self._bus = bus
        self._status_count = status_count

    async def _publish(self, stored: StoredDevice, definition: events.EventDefinition) -> None:
        if self._bus is not None:
            ids = [device_ref(stored)]
            await self._bus.publish(definition, identifiers=ids)

    async def run(self, application_id: str, device_id: str) -> int | None:
        """Send what the device is due (class A in the windows of its last uplink, else class C);
        returns when (ms since the epoch) its task is due again, or None."""
        stored = await self._devices.get(application_id, device_id)
        if stored is None:
            return None
        if stored.device.pending_mac_state.HasField("queued_join_accept"):
            await self._join_accept(stored)
            return None
        state = stored.device.mac_state
        class_c = state.device_class == lorawan_pb2.CLASS_C
        if state.rx_windows_available and state.recent_uplinks:
            last = state.recent_uplinks[-1]
            now = time.time()
            windows = class_a_windows(stored.device, band_of(stored.device), last, now)
            if windows:
                await self._class_a(stored, last, windows)
                if not class_c:
                    return None
                # Class C transmissions resume once the class A windows are over.
                rx2_end = last.received_at.ToMilliseconds() + (state.current_parameters.rx1_delay or 1) * 1000 + 2000
                return max(rx2_end, int(now * 1000))
        if class_c:
            return await self._class_c(stored)
        return None

    async def _join_accept(self, stored: StoredDevice) -> None:
        device = stored.device
        state = device.pending_mac_state
        accept = state.queued_join_accept
        band = band_of(device)
        windows: list[RxWindow] = []
        paths: list[lorawan_pb2.DownlinkPath] = []
        if state.recent_uplinks:
            request = state.recent_uplinks[-1]
            windows = join_accept_windows(state, band, request, time.time())
            paths = downlink_paths(request.rx_metadata)  # type: ignore[arg-type]
        if not windows:
            log.info("join-accept not sent: its windows have passed", device_id=stored.device_id)
        else:
            message = messages_pb2.DownlinkMessage(
                raw_payload=accept.payload,
                end_device_ids=device.ids,
                request=lorawan_pb2.TxRequest(
                    downlink_paths=paths, frequency_plan_id=device.frequency_plan_id, priority=lorawan_pb2.HIGHEST
                ),
                correlation_ids=accept.correlation_ids,
            )
            await self._publish(stored, EVT_DOWN_JOIN_ACCEPT_SCHEDULE_ATTEMPT)
            window, errors = await self._gateways.schedule(
                message, windows, band, rx1_delay=int(band.join_accept_delay_1)
            )
            if window is None:
                log.info("join-accept not scheduled", errors=errors)
            await self._publish(
                stored, EVT_DOWN_JOIN_ACCEPT_SCHEDULE_FAIL if window is None else EVT_DOWN_JOIN_ACCEPT_SCHEDULE_SUCCESS
            )

        # Sent or not, this accept's windows are used up; a newer join (another accept) is left alone.
        async def done(target: end_device_pb2.EndDevice) -> None:
            pending = target.pending_mac_state
            if pending.queued_join_accept.payload == accept.payload:
                pending.ClearField("queued_join_accept")
                pending.rx_windows_available = False

        await update_device(self._devices, stored.application_id, stored.device_id, done, known=stored)

    async def _class_a(
        self, stored: StoredDevice, last: end_device_pb2.MACState.UplinkMessage, windows: Sequence[RxWindow]
    ) -> None:
        device = end_device_pb2.EndDevice()
        device.CopyFrom(stored.device)
        band = band_of(device)
        confirmed = last.payload.m_hdr.m_type == lorawan_pb2.CONFIRMED_UP
        requests = plan_requests(
            device, band, device.session.last_f_cnt_up, datetime.now(UTC), status_count=self._status_count
        )
        max_size = band.data_rate(device.mac_state.current_parameters.adr_data_rate_index).max_frm_payload_size()
        built = build_data_downlink(
            device, requests, ack=confirmed, ack_f_cnt=device.session.last_f_cnt_up, max_frm_payload=max_size
        )
        if built is None:
            return
        if not built.raw:
            await self._persist(stored, built, requests, None)
            return
        request = lorawan_pb2.TxRequest(
            downlink_paths=downlink_paths(last.rx_metadata),  # type: ignore[arg-type]
            frequency_plan_id=device.frequency_plan_id,
            priority=lorawan_pb2.HIGH if confirmed or built.mac_commands else lorawan_pb2.NORMAL,
        )
        setattr(request, "class", lorawan_pb2.CLASS_A)
        await self._send(stored, device, built, requests, request, windows, band)

    async def _send(
        self,
        stored: StoredDevice,
        device: end_device_pb2.EndDevice,
        built: DataDownlink,
        requests: Sequence[MACCommand],
        request: lorawan_pb2.TxRequest,
        windows: Sequence[RxWindow],
        band: Band,
    ) -> bool:
        message = messages_pb2.DownlinkMessage(
            raw_payload=built.raw,
            end_device_ids=device.ids,
            request=request,
            session_key_id=device.session.keys.session_key_id,
        )
        if built.application is not None:
            message.correlation_ids.extend(built.application.correlation_ids)
        await self._publish(stored, EVT_DOWN_DATA_SCHEDULE_ATTEMPT)
        rx1_delay = device.mac_state.current_parameters.rx1_delay or 1
        window, errors = await self._gateways.schedule(message, windows, band, rx1_delay=rx1_delay)
        if window is None:
            log.info("downlink not scheduled", errors=errors)
            await self._publish(stored, EVT_DOWN_DATA_SCHEDULE_FAIL)
            return False
        await self._persist(stored, built, requests, message)
        await self._publish(stored, EVT_DOWN_DATA_SCHEDULE_SUCCESS)
        if self._bus is not None:
            ids = [device_ref(stored)]
            for command in built.mac_commands:
                if command in requests:
                    await self._bus.publish(mac_event(command_name(command), "request"), identifiers=ids)
        return True

    async def _persist(
        self,
        stored: StoredDevice,
        built: DataDownlink,
        requests: Sequence[MACCommand],
        message: messages_pb2.DownlinkMessage | None,
        *,
        error: error_pb2.ErrorDetails | None = None,
    ) -> None:
        invalid_f_cnts = {(d.session_key_id, d.f_cnt) for d in (*built.invalidated, *built.failed)}

        async def mutate(device: end_device_pb2.EndDevice) -> list[messages_pb2.ApplicationUp]:
            session, state = device.session, device.mac_state
            sent = built.application
            kept = [
                d
                for d in session.queued_application_downlinks
                if (d.session_key_id, d.f_cnt) not in invalid_f_cnts
                and not (sent is not None and (d.session_key_id, d.f_cnt) == (sent.session_key_id, sent.f_cnt))
            ]
            del session.queued_application_downlinks[:]
            session.queued_application_downlinks.extend(kept)
            ups: list[messages_pb2.ApplicationUp] = []
            if built.invalidated:
                up = messages_pb2.ApplicationUp(end_device_ids=device.ids)
                up.downlink_queue_invalidated.downlinks.extend(built.invalidated)
                up.downlink_queue_invalidated.session_key_id = session.keys.session_key_id
                ups.append(up)
            for down in built.failed:
                up = messages_pb2.ApplicationUp(end_device_ids=device.ids, correlation_ids=down.correlation_ids)
                up.downlink_failed.downlink.CopyFrom(down)
                up.downlink_failed.error.CopyFrom(error or _TOO_LONG)
                ups.append(up)
            if message is None:
                return ups
            v11 = (state.lorawan_version or device.lorawan_version) == lorawan_pb2.MAC_V1_1
            if not v11:
                counter = max(built.f_cnt, session.last_n_f_cnt_down, session.last_a_f_cnt_down)
                session.last_n_f_cnt_down = session.last_a_f_cnt_down = counter
            elif sent is not None:
                session.last_a_f_cnt_down = max(built.f_cnt, session.last_a_f_cnt_down)
            else:
                session.last_n_f_cnt_down = max(built.f_cnt, session.last_n_f_cnt_down)
            del state.queued_responses[:]
            del state.pending_requests[:]
            state.pending_requests.extend(encode_stored(c) for c in built.mac_commands if c in requests)
            recent = state.recent_downlinks.add()
            m_type = lorawan_pb2.CONFIRMED_DOWN if built.confirmed else lorawan_pb2.UNCONFIRMED_DOWN
            recent.payload.m_hdr.m_type = m_type
            recent.payload.mac_payload.full_f_cnt = built.f_cnt
            recent.payload.mac_payload.f_port = sent.f_port if sent is not None else 0
            if len(state.recent_downlinks) > _RECENT_DOWNLINKS:
                del state.recent_downlinks[0]
            now = timestamp(datetime.now(UTC))
            state.last_downlink_at.CopyFrom(now)
            state.rx_windows_available = False
            if sent is not None:
                up = messages_pb2.ApplicationUp(end_device_ids=device.ids, correlation_ids=sent.correlation_ids)
                up.downlink_sent.CopyFrom(sent)
                ups.append(up)
                if built.confirmed:
                    state.pending_application_downlink.CopyFrom(sent)
                    # A 1.1 uplink that acknowledges it signs this counter (LoRaWAN 1.1 section 4.4, ConfFCnt).
                    session.last_conf_f_cnt_down = built.f_cnt
                    state.last_confirmed_downlink_at.CopyFrom(now)
            return ups

        await update_device(self._devices, stored.application_id, stored.device_id, mutate, known=stored)

    async def _class_c(self, stored: StoredDevice) -> int | None:
        device = end_device_pb2.EndDevice()
        device.CopyFrom(stored.device)
        if not device.session.queued_application_downlinks:
            return None
        band = band_of(device)
        current = device.mac_state.current_parameters
        built = build_data_downlink(
            device, [], ack=False, max_frm_payload=band.data_rate(current.rx2_data_rate_index).max_frm_payload_size()
        )
        if built is None:
            return None
        now_ms = int(time.time() * 1000)
        if not built.raw:
            await self._persist(stored, built, [], None)
            return now_ms
        recent = device.mac_state.recent_uplinks
        request = lorawan_pb2.TxRequest(
            downlink_paths=downlink_paths(recent[-1].rx_metadata) if recent else [],  # type: ignore[arg-type]
            frequency_plan_id=device.frequency_plan_id,
            priority=lorawan_pb2.NORMAL,
        )
        setattr(request, "class", lorawan_pb2.CLASS_C)
        window = RxWindow("class_c", current.rx2_frequency or band.rx2_frequency, current.rx2_data_rate_index)
        app_id, dev_id = stored.application_id, stored.device_id
        if await self._send(stored, device, built, [], request, [window], band):
            await self._tasks.clear_failures(app_id, dev_id)
            return now_ms if device.session.queued_application_downlinks else None
        failures = await self._tasks.note_failure(app_id, dev_id)
        if failures < self._class_c_attempts or built.application is None:
            return now_ms + self._retry_ms
        # No gateway would take it: give the downlink up and tell the application.
        await self._tasks.clear_failures(app_id, dev_id)
        failed = DataDownlink(b"", 0, None, [], False, [], [built.application])
        await self._persist(stored, failed, [], None, error=_NOT_SCHEDULED)
        return now_ms + self._retry_ms if len(device.session.queued_application_downlinks) > 1 else None
