"""The seam between the Join Server and vendor provisioning data, and the registry of provisioners by ID."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from google.protobuf import struct_pb2

__all__ = ["EntryError", "Provisioner", "Provisioners"]


class EntryError(ValueError):
    """Provisioning data, or one entry of it, that a provisioner cannot use; the message says why."""


class Provisioner(Protocol):
    """Reads one vendor's provisioning data. Every method raises :class:`EntryError` on bad input.

    An entry is what the Join Server stores as the device's ``provisioning_data``, so a provisioner
    must never put secret key material into it.
    """

    def decode(self, data: bytes) -> list[struct_pb2.Struct]:
        """Split the data into one entry per device."""
        ...

    def join_eui(self, entry: struct_pb2.Struct) -> bytes:
        """The JoinEUI the entry names (8 bytes), used when the request gives none."""
        ...

    def dev_eui(self, entry: struct_pb2.Struct) -> bytes:
        """The DevEUI the entry names (8 bytes)."""
        ...

    def device_id(self, join_eui: bytes, dev_eui: bytes, entry: struct_pb2.Struct) -> str:
        """The device ID to register the entry under."""
        ...

    def unique_id(self, entry: struct_pb2.Struct) -> str:
        """What identifies the physical device (e.g. its secure element) among this vendor's entries;
        empty when the entry does not say."""
        ...


class Provisioners:
    """Provisioners by provisioner ID; built once at start-up, read-only afterwards."""

    def __init__(self, by_id: Mapping[str, Provisioner] | None = None) -> None:
        self._by_id = dict(by_id or {})

    def get(self, provisioner_id: str) -> Provisioner | None:
        return self._by_id.get(provisioner_id)

    def ids(self) -> list[str]:
        return sorted(self._by_id)
