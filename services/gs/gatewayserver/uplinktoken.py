"""Uplink tokens: the serialized ttn.lorawan.v3.UplinkToken, opaque to the NS, readable by any GS replica.

It names the gateway and antenna and pins the concentrator clock at reception, so the replica that gets
the ScheduleDownlink call can compute the RX1/RX2 concentrator time without any shared state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError

from ttn.lorawan.v3 import identifiers_pb2, lorawan_pb2

__all__ = ["TokenError", "UplinkToken", "decode_token", "encode_token"]


class TokenError(ValueError):
    """Bytes that are not an uplink token of this GS."""


@dataclass(frozen=True, slots=True)
class UplinkToken:
    gateway_id: str
    eui: bytes
    antenna_index: int
    timestamp: int  # the 32-bit tmst of the uplink
    concentrator_time: int  # unwrapped microseconds
    server_time: float  # seconds since the epoch when the GS received it
    gateway_time: datetime | None = None


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    micros = round(seconds * 1_000_000)
    ts.seconds, ts.nanos = divmod(micros, 1_000_000)
    ts.nanos *= 1000
    return ts


def encode_token(token: UplinkToken) -> bytes:
    msg = lorawan_pb2.UplinkToken(
        ids=lorawan_pb2.GatewayAntennaIdentifiers(
            gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id=token.gateway_id, eui=token.eui),
            antenna_index=token.antenna_index,
        ),
        timestamp=token.timestamp,
        server_time=_ts(token.server_time),
        concentrator_time=token.concentrator_time,
    )
    if token.gateway_time is not None:
        msg.gateway_time.FromDatetime(token.gateway_time)
    return msg.SerializeToString()


def decode_token(raw: bytes) -> UplinkToken:
    msg = lorawan_pb2.UplinkToken()
    try:
        msg.ParseFromString(raw)
    except DecodeError as err:
        raise TokenError("not an uplink token") from err
    if not msg.ids.gateway_ids.gateway_id or not msg.HasField("server_time"):
        raise TokenError("the uplink token names no gateway")
    return UplinkToken(
        gateway_id=msg.ids.gateway_ids.gateway_id,
        eui=msg.ids.gateway_ids.eui,
        antenna_index=msg.ids.antenna_index,
        timestamp=msg.timestamp,
        concentrator_time=msg.concentrator_time,
        server_time=msg.server_time.seconds + msg.server_time.nanos / 1e9,
        gateway_time=msg.gateway_time.ToDatetime(tzinfo=UTC) if msg.HasField("gateway_time") else None,
    )
