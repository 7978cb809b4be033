"""The application downlink queue of AsNs: push, replace and list with validation of FPort,
payload size at the current data rate, frame counters, session and device state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from networkserver import errors
from networkserver.downlink.frames import next_f_cnt_down
from networkserver.macstate import band_of
from networkserver.registry import update_device
from networkserver.store import DeviceRegistry
from ttn.lorawan.v3 import end_device_pb2, messages_pb2

__all__ = ["DownlinkQueue", "Waker", "validate_downlinks"]


class Waker(Protocol):
    """Makes the device's downlink task due (``networkserver.downlink.tasks.DownlinkWorker``): class C
    delivery, or a class A downlink while the windows of the last uplink are still ahead."""

    async def wake(self, application_id: str, device_id: str) -> None: ...


def _session_for(device: end_device_pb2.EndDevice, key_id: bytes) -> end_device_pb2.Session:
    for session in (device.session, device.pending_session):
        if session.keys.session_key_id and session.keys.session_key_id == key_id:
            return session
    raise errors.ERR_INVALID_DOWNLINK(reason="session_key_id does not match the current or pending session")


def validate_downlinks(
    device: end_device_pb2.EndDevice, downlinks: Sequence[messages_pb2.ApplicationDownlink], *, replace: bool
) -> None:
    """Raise a client error naming the first downlink the device could not receive."""
    if not device.HasField("session") and not device.HasField("pending_session"):
        raise errors.ERR_NO_SESSION(device_id=device.ids.device_id)
    band = band_of(device)
    current = device.mac_state.current_parameters
    maximum = band.data_rate(current.adr_data_rate_index).max_frm_payload_size(current.downlink_dwell_time.value)
    last_by_session: dict[bytes, int] = {}
    if not replace:
        for queued in device.session.queued_application_downlinks:
            last_by_session[queued.session_key_id] = queued.f_cnt
    minimum = next_f_cnt_down(device, application=True)
    for down in downlinks:
        if not 1 <= down.f_port <= 223:
            raise errors.ERR_INVALID_DOWNLINK(reason=f"FPort {down.f_port} is not in 1..223")
        if len(down.frm_payload) > maximum:
            raise errors.ERR_DOWNLINK_PAYLOAD_TOO_LONG(length=len(down.frm_payload), maximum=maximum)
        _session_for(device, down.session_key_id)
        floor = minimum if down.session_key_id == device.session.keys.session_key_id else 0
        previous = last_by_session.get(down.session_key_id)
        if down.f_cnt < floor or (previous is not None and down.f_cnt <= previous):
            raise errors.ERR_INVALID_DOWNLINK(reason=f"FCnt {down.f_cnt} is too low (at least {floor}, ascending)")
        last_by_session[down.session_key_id] = down.f_cnt


class DownlinkQueue:
    def __init__(self, devices: DeviceRegistry, waker: Waker | None = None) -> None:
        self._devices = devices
        self._waker = waker

    async def push(
        self,
        application_id: str,
        device_id: str,
        downlinks: Sequence[messages_pb2.ApplicationDownlink],
        *,
        replace: bool,
    ) -> None:
        async def mutate(device: end_device_pb2.EndDevice) -> list[messages_pb2.ApplicationUp]:
            validate_downlinks(device, downlinks, replace=replace)
            if replace:
                del device.session.queued_application_downlinks[:]
                del device.pending_session.queued_application_downlinks[:]
            ups: list[messages_pb2.ApplicationUp] = []
            for down in downlinks:
                _session_for(device, down.session_key_id).queued_application_downlinks.append(down)
                up = messages_pb2.ApplicationUp(end_device_ids=device.ids, correlation_ids=down.correlation_ids)
                up.downlink_queued.CopyFrom(down)
                ups.append(up)
            return ups

        await update_device(self._devices, application_id, device_id, mutate)
        if self._waker is not None and downlinks:
            await self._waker.wake(application_id, device_id)

    async def list(self, application_id: str, device_id: str) -> messages_pb2.ApplicationDownlinks:
        stored = await self._devices.get(application_id, device_id)
        if stored is None:
            raise errors.ERR_DEVICE_NOT_FOUND(device_id=device_id)
        out = messages_pb2.ApplicationDownlinks()
        out.downlinks.extend(stored.device.session.queued_application_downlinks)
        out.downlinks.extend(stored.device.pending_session.queued_application_downlinks)
        return out
