"""Storage seams of the Network Server: devices, uplink deduplication, application uplink queue,
downlink tasks. Redis implementations live in ``redisstore/``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ttn.lorawan.v3 import end_device_pb2, messages_pb2

__all__ = [
    "ANY_VERSION",
    "NEW_DEVICE",
    "ApplicationUpQueue",
    "DeviceRegistry",
    "DeviceWrite",
    "DownlinkTask",
    "DownlinkTaskQueue",
    "StoreConflictError",
    "StoredDevice",
    "UplinkDeduplicator",
]

# Expected versions of a compare-and-set: "must not exist yet" and "whatever is stored".
NEW_DEVICE = ""
ANY_VERSION = "*"


class StoreConflictError(Exception):
    """The record changed (or appeared) since it was read; read again and retry."""


@dataclass(frozen=True, slots=True)
class StoredDevice:
    application_id: str
    device_id: str
    version: str
    device: end_device_pb2.EndDevice


@dataclass(frozen=True, slots=True)
class DeviceWrite:
    application_id: str
    device_id: str
    device: end_device_pb2.EndDevice
    expected_version: str
    application_ups: Sequence[messages_pb2.ApplicationUp] = ()
    # When set, the device's downlink task is due at this time (or earlier), added in the same step.
    downlink_at_ms: int | None = None


class DeviceRegistry(Protocol):
    async def get(self, application_id: str, device_id: str) -> StoredDevice | None: ...

    async def by_euis(self, join_eui: bytes, dev_eui: bytes) -> StoredDevice | None:
        """The OTAA device with these EUIs."""
        ...

    async def by_dev_eui(self, dev_eui: bytes) -> list[StoredDevice]:
        """The OTAA devices with this DevEUI, whatever their JoinEUI (rejoin-requests of types 0 and 2)."""
        ...

    async def by_dev_addr(self, dev_addr: bytes) -> list[StoredDevice]:
        """Devices whose current or pending session uses ``dev_addr``."""
        ...

    async def put(
        self,
        application_id: str,
        device_id: str,
        device: end_device_pb2.EndDevice,
        expected_version: str,
        application_ups: Sequence[messages_pb2.ApplicationUp] = (),
        *,
        downlink_at_ms: int | None = None,
    ) -> str:
        """Store ``device`` (and queue ``application_ups``, and make its downlink task due at
        ``downlink_at_ms``) atomically if the stored version is ``expected_version``; returns the new
        version or raises :class:`StoreConflictError`."""
        ...

    async def by_dev_addrs(self, dev_addrs: Sequence[bytes]) -> list[list[StoredDevice]]:
        """:meth:`by_dev_addr` for many addresses in one round trip."""
        ...

    async def put_many(self, writes: Sequence[DeviceWrite]) -> list[str | None]:
        """:meth:`put` for many devices in one round trip, each with its downlink task if it names one;
        None where the version did not match."""
        ...

    async def delete(self, application_id: str, device_id: str) -> bool: ...


DedupOutcome = Literal["first", "duplicate", "late"]


class UplinkDeduplicator(Protocol):
    async def add(self, frame_key: bytes, copy: bytes, window_ms: int, cooldown_ms: int) -> DedupOutcome:
        """Record one received copy; the first caller must :meth:`collect_many` after the window."""
        ...

    async def collect_many(self, frame_keys: Sequence[bytes]) -> list[list[bytes]]:
        """Close the windows this replica opened and take every copy recorded for each frame (none when
        another replica took the frame over); :meth:`done_many` once the frames are handled."""
        ...

    async def take_overdue(self, limit: int) -> list[list[bytes]]:
        """The copies of up to ``limit`` frames that a replica took or opened but did not finish in time
        (it died), each now leased to this caller."""
        ...

    async def take_own(self, limit: int) -> list[list[bytes]]:
        """The copies of up to ``limit`` frames this replica left unfinished when it died; call only while
        starting, before this run adds frames of its own."""
        ...

    async def done_many(self, frame_keys: Sequence[bytes]) -> None:
        """Forget the copies of handled frames; the windows stay closed to late copies."""
        ...


class ApplicationUpQueue(Protocol):
    async def push(self, application_id: str, ups: Sequence[messages_pb2.ApplicationUp]) -> None: ...

    async def read(
        self, application_id: str, consumer: str, *, pending: bool, count: int, block_ms: int
    ) -> list[tuple[bytes, messages_pb2.ApplicationUp]]: ...

    async def ack(self, application_id: str, entry_ids: Sequence[bytes]) -> None: ...


@dataclass(frozen=True, slots=True)
class DownlinkTask:
    """A device's downlink task, leased to this replica until ``lease`` (ms since the epoch)."""

    application_id: str
    device_id: str
    lease: int


class DownlinkTaskQueue(Protocol):
    async def add(self, application_id: str, device_id: str, at_ms: int) -> None:
        """Schedule (or move earlier) the downlink task of one device."""
        ...

    async def pop_due(self, now_ms: int, count: int, lease_ms: int) -> list[DownlinkTask]:
        """Lease up to ``count`` due tasks of devices no other replica holds."""
        ...

    async def finish(self, task: DownlinkTask, now_ms: int, next_ms: int | None = None) -> None:
        """Release the lease; the task is due again at ``next_ms``, or at once when it was woken meanwhile."""
        ...

    async def note_failure(self, application_id: str, device_id: str) -> int:
        """Count one more failed attempt for the device's head downlink (shared by all replicas)."""
        ...

    async def clear_failures(self, application_id: str, device_id: str) -> None: ...
