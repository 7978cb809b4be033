"""Payload formatters: turn FRMPayload bytes into ``decoded_payload`` and back (JavaScript, CayenneLPP)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

from applicationserver.formatters import cayenne
from applicationserver.formatters.javascript import FormatterError, JavaScriptEngine
from ttn.lorawan.v3 import messages_pb2

__all__ = ["FormatterError", "JavaScriptEngine", "PayloadFormatters", "effective"]

NONE = messages_pb2.FORMATTER_NONE
JAVASCRIPT = messages_pb2.FORMATTER_JAVASCRIPT
CAYENNELPP = messages_pb2.FORMATTER_CAYENNELPP


def effective(
    device: messages_pb2.MessagePayloadFormatters | None,
    default: messages_pb2.MessagePayloadFormatters | None,
    *,
    uplink: bool,
) -> tuple[int, str]:
    """The formatter and parameter to use: the device's when it names one, else the application's."""
    for source in (device, default):
        if source is None:
            continue
        kind = source.up_formatter if uplink else source.down_formatter
        if kind != NONE:
            return kind, source.up_formatter_parameter if uplink else source.down_formatter_parameter
    return NONE, ""


def _to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    try:
        out.update(value)
    except (TypeError, ValueError) as err:
        raise FormatterError(f"decoded data is not JSON: {err}") from None
    return out


def _bytes_of(value: Any) -> bytes:
    if not isinstance(value, list) or not all(isinstance(b, int) and 0 <= b <= 255 for b in value):
        raise FormatterError("bytes must be an array of integers 0..255")
    return bytes(value)


class PayloadFormatters:
    """Applies one formatter to one message; a failure raises :class:`FormatterError`."""

    def __init__(self, engine: JavaScriptEngine) -> None:
        self._js = engine

    def decode_uplink(self, formatter: int, parameter: str, uplink: messages_pb2.ApplicationUplink) -> bool:
        """Fill ``decoded_payload``; False when there is no formatter to run."""
        if formatter == NONE or uplink.f_port == 0:
            return False
        if formatter == CAYENNELPP:
            try:
                decoded = cayenne.decode(uplink.frm_payload)
            except cayenne.CayenneError as err:
                raise FormatterError(str(err)) from None
            uplink.decoded_payload.CopyFrom(_to_struct(decoded))
            return True
        if formatter == JAVASCRIPT:
            received = uplink.received_at.ToJsonString() if uplink.HasField("received_at") else None
            result = self._js.call(
                parameter,
                "decode_up",
                {"bytes": list(uplink.frm_payload), "fPort": uplink.f_port, "recvTime": received},
            )
            data = result.value.get("data")
            if not isinstance(data, dict):
                raise FormatterError("decodeUplink must return an object with data")
            uplink.decoded_payload.CopyFrom(_to_struct(data))
            del uplink.decoded_payload_warnings[:]
            uplink.decoded_payload_warnings.extend(result.warnings)
            return True
        raise FormatterError(f"formatter {messages_pb2.PayloadFormatter.Name(formatter)} is not supported")  # type: ignore[arg-type]

    def encode_downlink(self, formatter: int, parameter: str, downlink: messages_pb2.ApplicationDownlink) -> bool:
        """Fill ``frm_payload`` (and ``f_port`` when the script names one) from ``decoded_payload``."""
        if formatter == NONE or not downlink.HasField("decoded_payload"):
            return False
        data = json_format.MessageToDict(downlink.decoded_payload)
        if formatter == CAYENNELPP:
            try:
                downlink.frm_payload = cayenne.encode(data)
            except cayenne.CayenneError as err:
                raise FormatterError(str(err)) from None
            return True
        if formatter == JAVASCRIPT:
            result = self._js.call(parameter, "encode_down", {"data": data, "fPort": downlink.f_port or None})
            downlink.frm_payload = _bytes_of(result.value.get("bytes"))
            port = result.value.get("fPort")
            if isinstance(port, int) and 1 <= port <= 255:
                downlink.f_port = port
            del downlink.decoded_payload_warnings[:]
            downlink.decoded_payload_warnings.extend(result.warnings)
            return True
        raise FormatterError(f"formatter {messages_pb2.PayloadFormatter.Name(formatter)} is not supported")  # type: ignore[arg-type]

    def decode_downlink(self, formatter: int, parameter: str, downlink: messages_pb2.ApplicationDownlink) -> bool:
        if formatter == NONE or not downlink.frm_payload:
            return False
        if formatter == CAYENNELPP:
            try:
                downlink.decoded_payload.CopyFrom(_to_struct(cayenne.decode(downlink.frm_payload)))
            except cayenne.CayenneError as err:
                raise FormatterError(str(err)) from None
            return True
        if formatter == JAVASCRIPT:
            result = self._js.call(
                parameter, "decode_down", {"bytes": list(downlink.frm_payload), "fPort": downlink.f_port}
            )
            data = result.value.get("data")
            if not isinstance(data, dict):
                raise FormatterError("decodeDownlink must return an object with data")
            downlink.decoded_payload.CopyFrom(_to_struct(data))
            return True
        raise FormatterError(f"formatter {messages_pb2.PayloadFormatter.Name(formatter)} is not supported")  # type: ignore[arg-type]
