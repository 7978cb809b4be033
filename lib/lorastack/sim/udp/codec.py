"""Semtech UDP packet forwarder protocol version 2, the gateway's side (PROTOCOL.TXT of the
lora_gateway/packet_forwarder repositories, sections 3 to 6). Sans-I/O: datagrams in, datagrams out."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "PROTOCOL_VERSION",
    "PULL_ACK",
    "PULL_DATA",
    "PULL_RESP",
    "PUSH_ACK",
    "PUSH_DATA",
    "TX_ACK",
    "CodecError",
    "ServerPacket",
    "Txpk",
    "parse_server_packet",
    "parse_txpk",
    "pull_data",
    "push_data",
    "rxpk",
    "stat",
    "tx_ack",
]

PROTOCOL_VERSION = 2
PUSH_DATA, PUSH_ACK, PULL_DATA, PULL_RESP, PULL_ACK, TX_ACK = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05


class CodecError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ServerPacket:
    """PUSH_ACK, PULL_ACK or PULL_RESP; ``body`` is the JSON object of a PULL_RESP."""

    token: bytes
    identifier: int
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Txpk:
    """``tmst`` None means "imme" (send at once); ``datr`` is ``SF7BW125`` for LoRa, a bit rate for FSK."""

    tmst: int | None
    frequency: int
    datr: str | int
    data: bytes
    power: int | None = None


def _header(token: bytes, identifier: int) -> bytes:
    if len(token) != 2:
        raise CodecError("a token is 2 bytes")
    return bytes((PROTOCOL_VERSION,)) + token + bytes((identifier,))


def push_data(token: bytes, eui: bytes, body: dict[str, Any]) -> bytes:
    return _header(token, PUSH_DATA) + eui + json.dumps(body, separators=(",", ":")).encode()


def pull_data(token: bytes, eui: bytes) -> bytes:
    return _header(token, PULL_DATA) + eui


def tx_ack(token: bytes, eui: bytes, error: str = "NONE") -> bytes:
    """TX_ACK echoes the PULL_RESP token; ``error`` NONE, TOO_LATE, TOO_EARLY, TX_FREQ, ..."""
    return _header(token, TX_ACK) + eui + json.dumps({"txpk_ack": {"error": error}}, separators=(",", ":")).encode()


def rxpk(
    *,
    data: bytes,
    tmst: int,
    frequency: int,
    datr: str | int,
    channel: int,
    rf_chain: int,
    rssi: float,
    snr: float,
    received_at: datetime,
) -> dict[str, Any]:
    lora = isinstance(datr, str)
    out: dict[str, Any] = {
        "time": received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "tmst": tmst,
        "chan": channel,
        "rfch": rf_chain,
        "freq": round(frequency / 1e6, 6),
        "stat": 1,
        "modu": "LORA" if lora else "FSK",
        "datr": datr,
    }
    if lora:
        out["codr"] = "4/5"
        out["lsnr"] = round(snr, 1)
    out.update({"rssi": round(rssi), "size": len(data), "data": base64.b64encode(data).decode()})
    return out


def stat(
    now: datetime, *, received: int, forwarded: int, ack_ratio: float, downlinks: int, sent: int
) -> dict[str, Any]:
    return {
        "time": now.strftime("%Y-%m-%d %H:%M:%S GMT"),
        "rxnb": received,
        "rxok": received,
        "rxfw": forwarded,
        "ackr": round(ack_ratio * 100, 1),
        "dwnb": downlinks,
        "txnb": sent,
    }


def parse_server_packet(datagram: bytes) -> ServerPacket:
    if len(datagram) < 4:
        raise CodecError("datagram shorter than its header")
    if datagram[0] != PROTOCOL_VERSION:
        raise CodecError(f"protocol version {datagram[0]}")
    token, identifier = datagram[1:3], datagram[3]
    if identifier in (PUSH_ACK, PULL_ACK):
        return ServerPacket(token, identifier)
    if identifier != PULL_RESP:
        raise CodecError(f"identifier 0x{identifier:02x} is not sent by servers")
    try:
        body = json.loads(datagram[4:])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CodecError("PULL_RESP is not JSON") from None
    if not isinstance(body, dict):
        raise CodecError("PULL_RESP is not a JSON object")
    return ServerPacket(token, identifier, body)


def parse_txpk(body: dict[str, Any]) -> Txpk:
    txpk = body.get("txpk")
    if not isinstance(txpk, dict):
        raise CodecError("no txpk")
    try:
        data = base64.b64decode(txpk["data"], validate=True)
        frequency = round(float(txpk["freq"]) * 1_000_000)
        datr = txpk["datr"]
    except (KeyError, TypeError, ValueError):
        raise CodecError("txpk lacks data, freq or datr") from None
    if not isinstance(datr, str | int):
        raise CodecError("txpk datr")
    size = txpk.get("size")
    if size is not None and size != len(data):
        raise CodecError("txpk size does not match its data")
    tmst = None if txpk.get("imme") else txpk.get("tmst")
    if tmst is not None and not isinstance(tmst, int):
        raise CodecError("txpk tmst")
    power = txpk.get("powe")
    return Txpk(tmst, frequency, datr, data, power if isinstance(power, int) else None)
