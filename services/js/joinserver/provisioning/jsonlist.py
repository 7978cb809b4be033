"""Lorastack's own ``json`` provisioner (no vendor format): the data is a UTF-8 JSON array of objects.

Each object may carry ``dev_eui`` and ``join_eui`` (16 hex digits), ``device_id`` and ``unique_id``
(strings); any other members are kept as the device's provisioning data. Root keys are never read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import struct_pb2

from joinserver.provisioning.base import EntryError

__all__ = ["JSON_PROVISIONER_ID", "JsonProvisioner"]

JSON_PROVISIONER_ID = "json"
_EUI = re.compile(r"^[0-9A-Fa-f]{16}$")
# Names that look like key material: such an entry would leave a root key readable in the registry.
_SECRET_NAMES = ("app_key", "nwk_key", "appkey", "nwkkey", "root_keys")


def _text(entry: struct_pb2.Struct, name: str) -> str | None:
    if name not in entry.fields:
        return None
    value = entry.fields[name]
    if value.WhichOneof("kind") != "string_value":
        raise EntryError(f"`{name}` must be a string")
    return value.string_value


def _eui(entry: struct_pb2.Struct, name: str) -> bytes:
    value = _text(entry, name)
    if value is None:
        raise EntryError(f"the entry has no `{name}`")
    if not _EUI.match(value):
        raise EntryError(f"`{name}` must be 16 hexadecimal digits")
    return bytes.fromhex(value)


class JsonProvisioner:
    """A :class:`~joinserver.provisioning.base.Provisioner` for plain JSON entries."""

    def decode(self, data: bytes) -> list[struct_pb2.Struct]:
        try:
            parsed: Any = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise EntryError(f"not UTF-8 JSON: {err}") from None
        if not isinstance(parsed, list):
            raise EntryError("the data must be a JSON array of objects")
        entries = []
        for index, item in enumerate(parsed):
            if not isinstance(item, dict):
                raise EntryError(f"entry {index} is not a JSON object")
            secret = [name for name in item if name.lower() in _SECRET_NAMES]
            if secret:
                raise EntryError(f"entry {index} carries key material (`{secret[0]}`); keys stay in the device")
            entry = struct_pb2.Struct()
            entry.update(item)
            entries.append(entry)
        return entries

    def join_eui(self, entry: struct_pb2.Struct) -> bytes:
        return _eui(entry, "join_eui")

    def dev_eui(self, entry: struct_pb2.Struct) -> bytes:
        return _eui(entry, "dev_eui")

    def device_id(self, join_eui: bytes, dev_eui: bytes, entry: struct_pb2.Struct) -> str:
        given = _text(entry, "device_id")
        # Without a name the device is called after its DevEUI, as The Things Stack's Console suggests.
        return given if given is not None else f"eui-{dev_eui.hex()}"

    def unique_id(self, entry: struct_pb2.Struct) -> str:
        given = _text(entry, "unique_id")
        if given:
            return given
        # An entry of the list form may name nothing at all: the request carries its identifiers.
        return _eui(entry, "dev_eui").hex().upper() if "dev_eui" in entry.fields else ""
