"""Storage seams of the Join Server: the device registry (with its EUI index) and session keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ttn.lorawan.v3 import end_device_pb2

__all__ = ["Change", "DeviceRegistry", "SessionKeyStore", "StoredSession"]


@dataclass(frozen=True, slots=True)
class StoredSession:
    """Session keys kept for the NS and AS: ``record`` is an EndDevice holding the ids, the KEK
    labels of the peers and ``session.keys`` (sealed)."""

    dev_eui: bytes
    session_key_id: bytes
    record: end_device_pb2.EndDevice


@dataclass(frozen=True, slots=True)
class Change:
    """What one transactional update writes: the device (None deletes it) and maybe a new session."""

    device: end_device_pb2.EndDevice | None
    session: StoredSession | None = None


Update = Callable[[end_device_pb2.EndDevice | None], Change]


class DeviceRegistry(Protocol):
    """End devices by (application ID, device ID), indexed by (JoinEUI, DevEUI)."""

    async def get(self, application_id: str, device_id: str) -> end_device_pb2.EndDevice | None: ...

    async def get_by_eui(self, join_eui: bytes, dev_eui: bytes) -> end_device_pb2.EndDevice | None: ...

    async def get_by_dev_eui(self, dev_eui: bytes) -> list[end_device_pb2.EndDevice]:
        """Every device with ``dev_eui``, whatever its JoinEUI (rejoin types 0 and 2 carry none)."""
        ...

    async def update(self, application_id: str, device_id: str, fn: Update) -> Change:
        """Read, apply ``fn`` (pure; it may raise to abort) and write atomically, retrying on conflict."""
        ...

    async def create_many(self, devices: Sequence[end_device_pb2.EndDevice]) -> None:
        """Store new devices all at once or none of them: fails with ``device_exists`` or ``eui_taken``
        when any of them is registered already."""
        ...


class SessionKeyStore(Protocol):
    """Session records by (DevEUI, session key ID); reading one restarts its lifetime."""

    async def get_session(self, dev_eui: bytes, session_key_id: bytes) -> end_device_pb2.EndDevice | None: ...
