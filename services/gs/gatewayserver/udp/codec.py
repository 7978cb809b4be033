"""Semtech UDP packet forwarder protocol, version 2: datagram framing and the JSON objects it carries.

Sans-I/O. Follows PROTOCOL.TXT of Lora-net/packet_forwarder (sections 3-6): PUSH_DATA/PUSH_ACK,
PULL_DATA/PULL_ACK, PULL_RESP and TX_ACK; ``rxpk``, ``stat``, ``txpk`` and ``txpk_ack`` objects, plus the
per-antenna ``rsig`` array and fine timestamps of the v2 forwarders for SX1301/SX1302 concentrators.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MAX_DATAGRAM",
    "CodecError",
    "Datagram",
    "PacketType",
    "PushData",
    "RSig",
    "RxPacket",
    "Stat",
    "TxPacket",
    "ack_for",
    "decode",
    "encode_pull_resp",
    "parse_push_data",
    "parse_tx_ack",
]

MAX_DATAGRAM = 65507
# Version 1 forwarders speak the same framing without TX_ACK; we answer in the version they used.
_VERSIONS = frozenset({1, 2})
_LORA_DATR = re.compile(r"^SF(\d{1,2})BW(\d{2,3})$")


class CodecError(ValueError):
    """A datagram or JSON object that does not follow the protocol; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class PacketType(enum.IntEnum):
    PUSH_DATA = 0x00
    PUSH_ACK = 0x01
    PULL_DATA = 0x02
    PULL_RESP = 0x03
    PULL_ACK = 0x04
    TX_ACK = 0x05


# Packet types a gateway sends, all of which carry its EUI at bytes 4-11.
_FROM_GATEWAY = frozenset({PacketType.PUSH_DATA, PacketType.PULL_DATA, PacketType.TX_ACK})


@dataclass(frozen=True, slots=True)
class Datagram:
    version: int
    token: bytes
    type: PacketType
    eui: bytes
    payload: bytes = b""


def decode(data: bytes) -> Datagram:
    """Split a datagram a gateway sent into its header fields and JSON payload bytes."""
    if len(data) < 4:
        raise CodecError("too_short", f"{len(data)} bytes")
    version = data[0]
    if version not in _VERSIONS:
        raise CodecError("unsupported_version", str(version))
    try:
        kind = PacketType(data[3])
    except ValueError:
        raise CodecError("unknown_type", f"0x{data[3]:02x}") from None
    if kind not in _FROM_GATEWAY:
        raise CodecError("unexpected_type", kind.name)
    if len(data) < 12:
        raise CodecError("too_short", f"{kind.name} of {len(data)} bytes")
    return Datagram(version, bytes(data[1:3]), kind, bytes(data[4:12]), bytes(data[12:]))


def ack_for(datagram: Datagram) -> bytes | None:
    """The acknowledgment of PUSH_DATA (PUSH_ACK) or PULL_DATA (PULL_ACK); TX_ACK gets none."""
    if datagram.type is PacketType.PUSH_DATA:
        return bytes((datagram.version, *datagram.token, PacketType.PUSH_ACK))
    if datagram.type is PacketType.PULL_DATA:
        return bytes((datagram.version, *datagram.token, PacketType.PULL_ACK))
    return None


def encode_pull_resp(version: int, token: bytes, txpk: TxPacket) -> bytes:
    body = json.dumps({"txpk": txpk.to_json()}, separators=(",", ":")).encode()
    return bytes((version, *token, PacketType.PULL_RESP)) + body


# JSON objects --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RSig:
    """Reception by one antenna (the ``rsig`` array of multi-antenna forwarders)."""

    antenna: int
    channel: int
    rssi_channel: float
    snr: float | None = None
    rssi_signal: float | None = None
    rssi_std_dev: float | None = None
    fine_timestamp: int | None = None
    encrypted_fine_timestamp: bytes | None = None
    frequency_offset: int | None = None


@dataclass(frozen=True, slots=True)
class RxPacket:
    tmst: int
    frequency: int  # Hz
    modulation: str  # LORA or FSK
    data: bytes
    crc_status: int = 1  # 1 ok, -1 failed, 0 no CRC
    channel: int = 0
    rf_chain: int = 0
    spreading_factor: int = 0
    bandwidth: int = 0  # Hz
    bit_rate: int = 0
    coding_rate: str = ""
    rssi: float = 0.0
    snr: float | None = None
    time: datetime | None = None
    gps_time_ms: int | None = None  # milliseconds since the GPS epoch
    fine_timestamp: int | None = None  # nanoseconds in the second of ``time``
    frequency_offset: int | None = None
    board: int = 0
    rsig: tuple[RSig, ...] = ()


@dataclass(frozen=True, slots=True)
class Stat:
    time: datetime | None = None
    boot_time: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: int | None = None
    counters: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PushData:
    rxpk: tuple[RxPacket, ...]
    stat: Stat | None
    # rxpk entries that could not be read, one reason each (the rest of the datagram still counts).
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TxPacket:
    """A ``txpk``: LoRa when ``spreading_factor`` is set, FSK otherwise."""

    frequency: int
    power: int
    data: bytes
    tmst: int | None = None
    immediate: bool = False
    rf_chain: int = 0
    spreading_factor: int = 0
    bandwidth: int = 0
    coding_rate: str = "4/5"
    bit_rate: int = 0
    invert_polarization: bool = True
    antenna: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.immediate:
            out["imme"] = True
        else:
            out["tmst"] = self.tmst or 0
        out["freq"] = round(self.frequency / 1e6, 6)
        out["rfch"] = self.rf_chain
        out["powe"] = self.power
        if self.antenna:
            out["ant"] = self.antenna
        if self.spreading_factor:
            out["modu"] = "LORA"
            out["datr"] = f"SF{self.spreading_factor}BW{self.bandwidth // 1000}"
            out["codr"] = self.coding_rate
            out["ipol"] = self.invert_polarization
        else:
            out["modu"] = "FSK"
            out["datr"] = self.bit_rate
            # LoRaWAN FSK uses a 25 kHz deviation at 50 kbit/s (RP002-1.0.3 section 2.2.3): half the bit rate.
            out["fdev"] = self.bit_rate // 2
        out["size"] = len(self.data)
        out["ncrc"] = True
        out["data"] = base64.b64encode(self.data).decode()
        return out


def _load_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload.rstrip(b"\x00 \r\n\t"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CodecError("invalid_json") from None
    if not isinstance(value, dict):
        raise CodecError("invalid_json", "not an object")
    return value


def _number(obj: dict[str, Any], key: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodecError("invalid_field", key)
    return value


def _opt_number(obj: dict[str, Any], key: str) -> float | None:
    return _number(obj, key) if obj.get(key) is not None else None


def _opt_int(obj: dict[str, Any], key: str) -> int | None:
    value = _opt_number(obj, key)
    return None if value is None else int(value)


def parse_compact_time(text: object) -> datetime | None:
    """``2013-03-31T16:21:17.528002Z`` (ISO 8601 'compact'); None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_expanded_time(text: object) -> datetime | None:
    """``2014-01-12 08:59:28 GMT`` (the stat object's 'expanded' format)."""
    if not isinstance(text, str) or not text:
        return None
    cleaned = text.strip().removesuffix("GMT").removesuffix("UTC").strip()
    try:
        return datetime.fromisoformat(cleaned).replace(tzinfo=UTC)
    except ValueError:
        return None


def _data_rate(obj: dict[str, Any]) -> dict[str, Any]:
    modulation = obj.get("modu")
    datr = obj.get("datr")
    if modulation == "LORA":
        match = _LORA_DATR.match(datr) if isinstance(datr, str) else None
        if match is None:
            raise CodecError("invalid_data_rate", str(datr))
        codr = obj.get("codr", "")
        return {
            "modulation": "LORA",
            "spreading_factor": int(match[1]),
            "bandwidth": int(match[2]) * 1000,
            "coding_rate": codr if isinstance(codr, str) else "",
        }
    if modulation == "FSK":
        if isinstance(datr, bool) or not isinstance(datr, int | float) or datr <= 0:
            raise CodecError("invalid_data_rate", str(datr))
        return {"modulation": "FSK", "bit_rate": int(datr)}
    raise CodecError("unsupported_modulation", str(modulation))


def _rsig(obj: object) -> RSig:
    if not isinstance(obj, dict):
        raise CodecError("invalid_field", "rsig")
    etime = obj.get("etime")
    encrypted = None
    if isinstance(etime, str) and etime:
        try:
            encrypted = base64.b64decode(etime)
        except binascii.Error:
            raise CodecError("invalid_field", "rsig.etime") from None
    return RSig(
        antenna=int(_number(obj, "ant", 0)),
        channel=int(_number(obj, "chan", 0)),
        rssi_channel=_number(obj, "rssic", 0),
        snr=_opt_number(obj, "lsnr"),
        rssi_signal=_opt_number(obj, "rssis"),
        rssi_std_dev=_opt_number(obj, "rssisd"),
        fine_timestamp=_opt_int(obj, "ftime"),
        encrypted_fine_timestamp=encrypted,
        frequency_offset=_opt_int(obj, "foff"),
    )


def _payload(obj: dict[str, Any]) -> bytes:
    data = obj.get("data")
    if not isinstance(data, str):
        raise CodecError("invalid_field", "data")
    # Some forwarders leave out the padding; the protocol allows either.
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
    except binascii.Error:
        raise CodecError("invalid_field", "data") from None


def parse_rxpk(obj: object) -> RxPacket:
    if not isinstance(obj, dict):
        raise CodecError("invalid_field", "rxpk")
    tmst = _number(obj, "tmst")
    if not 0 <= tmst <= 0xFFFFFFFF:
        raise CodecError("invalid_field", "tmst")
    freq = _number(obj, "freq")
    rsig = obj.get("rsig")
    if rsig is not None and not isinstance(rsig, list):
        raise CodecError("invalid_field", "rsig")
    return RxPacket(
        tmst=int(tmst),
        frequency=round(freq * 1_000_000),
        data=_payload(obj),
        crc_status=int(_number(obj, "stat", 1)),
        channel=int(_number(obj, "chan", 0)),
        rf_chain=int(_number(obj, "rfch", 0)),
        rssi=_number(obj, "rssi", 0),
        snr=_opt_number(obj, "lsnr"),
        time=parse_compact_time(obj.get("time")),
        gps_time_ms=_opt_int(obj, "tmms"),
        fine_timestamp=_opt_int(obj, "ftime"),
        frequency_offset=_opt_int(obj, "foff"),
        board=int(_number(obj, "brd", 0)),
        rsig=tuple(_rsig(item) for item in rsig or ()),
        **_data_rate(obj),
    )


_STAT_COUNTERS = ("rxnb", "rxok", "rxfw", "ackr", "dwnb", "txnb", "temp", "lpps")


def parse_stat(obj: object) -> Stat:
    if not isinstance(obj, dict):
        raise CodecError("invalid_field", "stat")
    counters = {key: float(_number(obj, key)) for key in _STAT_COUNTERS if obj.get(key) is not None}
    versions = {key: str(obj[key]) for key in ("hal", "fpga", "dsp") if obj.get(key) is not None}
    return Stat(
        time=parse_expanded_time(obj.get("time")),
        boot_time=parse_expanded_time(obj.get("boot")),
        latitude=_opt_number(obj, "lati"),
        longitude=_opt_number(obj, "long"),
        altitude=_opt_int(obj, "alti"),
        counters=counters,
        versions=versions,
    )


def parse_push_data(payload: bytes) -> PushData:
    """The ``rxpk`` array and ``stat`` object of a PUSH_DATA; unreadable rxpk entries are listed in ``rejected``."""
    root = _load_object(payload)
    raw_rxpk = root.get("rxpk", [])
    if not isinstance(raw_rxpk, list):
        raise CodecError("invalid_field", "rxpk")
    packets: list[RxPacket] = []
    rejected: list[str] = []
    for item in raw_rxpk:
        try:
            packets.append(parse_rxpk(item))
        except CodecError as err:
            rejected.append(err.reason)
    stat = parse_stat(root["stat"]) if root.get("stat") is not None else None
    return PushData(tuple(packets), stat, tuple(rejected))


# TX_ACK ``error`` values (PROTOCOL.TXT section 6), in the order of TxAcknowledgment.Result.
TX_ACK_ERRORS: tuple[str, ...] = ("NONE", "UNKNOWN", "TOO_LATE", "TOO_EARLY", "COLLISION_PACKET", "COLLISION_BEACON")
TX_ACK_ERRORS += ("TX_FREQ", "TX_POWER", "GPS_UNLOCKED")


def parse_tx_ack(payload: bytes) -> str:
    """The ``error`` of a TX_ACK's ``txpk_ack``; an empty payload means success (``NONE``)."""
    if not payload.strip(b"\x00 \r\n\t"):
        return "NONE"
    root = _load_object(payload)
    ack = root.get("txpk_ack")
    if not isinstance(ack, dict):
        raise CodecError("invalid_field", "txpk_ack")
    error = ack.get("error", "NONE")
    if not isinstance(error, str):
        raise CodecError("invalid_field", "txpk_ack.error")
    # Forwarders that only warn (e.g. a power lowered to the closest supported value) still sent it.
    return error if error in TX_ACK_ERRORS else "UNKNOWN"
