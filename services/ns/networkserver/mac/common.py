"""What MAC handlers share: the uplink facts they use, their outcome, and the stored form of
commands (``ttn.lorawan.v3.MACCommand`` with the CID and the raw payload)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lorastack.lorawan import Band, MACCommand, command_for
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

__all__ = [
    "MACOutcome",
    "UplinkInfo",
    "command_name",
    "decode_stored",
    "encode_stored",
    "take_pending",
]


@dataclass(frozen=True, slots=True)
class UplinkInfo:
    """The facts of the uplink that carried the commands."""

    band: Band
    data_rate_index: int
    max_snr: float | None
    gateway_count: int
    received_at: datetime
    f_cnt: int = 0


@dataclass(slots=True)
class MACOutcome:
    """Responses to send in the next downlink, and the events (command, kind) that happened."""

    responses: list[MACCommand] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    rekeyed: bool = False
    reset: bool = False


def command_name(command: MACCommand | type[MACCommand]) -> str:
    """``link_adr`` for LinkADRReq/LinkADRAns, the way TTS names MAC events."""
    name = command.__name__ if isinstance(command, type) else type(command).__name__
    stem = re.sub(r"(Req|Ans|Ind|Conf)$", "", name)
    stem = stem.replace("ADR", "Adr").replace("RX", "Rx").replace("DlChannel", "DLChannel")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", stem).lower()


def encode_stored(command: MACCommand) -> lorawan_pb2.MACCommand:
    return lorawan_pb2.MACCommand(cid=command.CID, raw_payload=command.payload())  # type: ignore[arg-type]


def decode_stored(stored: lorawan_pb2.MACCommand, *, uplink: bool) -> MACCommand | None:
    cls = command_for(int(stored.cid), uplink=uplink)
    if cls is None or len(stored.raw_payload) != cls.LENGTH:
        return None
    return cls.from_payload(stored.raw_payload)


def take_pending(state: end_device_pb2.MACState, cid: int) -> MACCommand | None:
    """Remove and return the oldest pending request with ``cid``."""
    requests: Sequence[lorawan_pb2.MACCommand] = state.pending_requests
    for index, stored in enumerate(requests):
        if stored.cid == cid:
            del state.pending_requests[index]
            return decode_stored(stored, uplink=False)
    return None
