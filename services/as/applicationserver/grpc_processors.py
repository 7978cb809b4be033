"""``UplinkMessageProcessor`` and ``DownlinkMessageProcessor``: try a payload formatter on a given message."""

from __future__ import annotations

from typing import Any

from applicationserver import errors
from applicationserver.formatters import FormatterError, PayloadFormatters
from applicationserver.tenancy import TenantRights
from ttn.lorawan.v3 import message_services_pb2, messages_pb2, rights_pb2

__all__ = ["DownlinkProcessorServicer", "UplinkProcessorServicer"]

_READ = rights_pb2.RIGHT_APPLICATION_DEVICES_READ


class UplinkProcessorServicer:
    """Decodes the uplink's FRMPayload with the JavaScript formatter given as parameter."""

    def __init__(self, *, formatters: PayloadFormatters, rights: TenantRights) -> None:
        self._formatters = formatters
        self._rights = rights

    async def Process(self, request: message_services_pb2.ProcessUplinkMessageRequest, context: Any) -> Any:
        await self._rights.check(context, request.ids.application_ids.application_id, _READ)
        out = messages_pb2.ApplicationUplink()
        out.CopyFrom(request.message)
        try:
            self._formatters.decode_uplink(messages_pb2.FORMATTER_JAVASCRIPT, request.parameter, out)
        except FormatterError as err:
            raise errors.formatter_failed(reason=str(err)) from None
        return out


class DownlinkProcessorServicer:
    """Encodes ``decoded_payload`` (or decodes ``frm_payload`` when there is nothing to encode)."""

    def __init__(self, *, formatters: PayloadFormatters, rights: TenantRights) -> None:
        self._formatters = formatters
        self._rights = rights

    async def Process(self, request: message_services_pb2.ProcessDownlinkMessageRequest, context: Any) -> Any:
        await self._rights.check(context, request.ids.application_ids.application_id, _READ)
        out = messages_pb2.ApplicationDownlink()
        out.CopyFrom(request.message)
        try:
            if out.HasField("decoded_payload"):
                self._formatters.encode_downlink(messages_pb2.FORMATTER_JAVASCRIPT, request.parameter, out)
            else:
                self._formatters.decode_downlink(messages_pb2.FORMATTER_JAVASCRIPT, request.parameter, out)
        except FormatterError as err:
            raise errors.formatter_failed(reason=str(err)) from None
        return out
