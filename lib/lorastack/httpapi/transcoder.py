"""The REST face of the gRPC API: every HTTP request matching a google.api.http rule becomes a gRPC call.

No servicer is called directly; the call goes over a grpc.aio channel (the process's own port or a peer's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import grpc
import structlog
from aiohttp import web
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from lorastack import fieldmask
from lorastack.errors import LorastackError
from lorastack.httpapi import console
from lorastack.httpapi.errors import (
    ERR_INTERNAL,
    ERR_METHOD_NOT_ALLOWED,
    ERR_NO_PEER,
    ERR_ROUTE_NOT_FOUND,
    ERROR_DETAILS_TYPE,
    ErrorBody,
    from_lorastack_error,
    from_rpc_error,
)
from lorastack.httpapi.jsoncodec import to_json
from lorastack.httpapi.metadata import request_metadata, response_headers
from lorastack.httpapi.openapi import build_document
from lorastack.httpapi.request import build_request, check_binding
from lorastack.httpapi.rules import PREFIX, Binding, RouteTable, bindings_for, services_with_rules

__all__ = ["RestGateway"]

ChannelFor = Callable[[str], grpc.aio.Channel | None]
_log = structlog.get_logger(__name__)
_JSON = "application/json"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _mask_target(method_input: Descriptor, output: Descriptor) -> Descriptor | None:
    """The message a request's field_mask selects from, or ``None`` when the request has no mask."""
    mask = method_input.fields_by_name.get("field_mask")
    if mask is None or mask.message_type is None or mask.message_type.full_name != "google.protobuf.FieldMask":
        return None
    # List responses wrap one repeated entity field; the mask then selects fields of that entity.
    if len(output.fields) == 1:
        only = output.fields[0]
        entry = only.message_type
        if only.is_repeated and entry is not None and not entry.GetOptions().map_entry:
            return entry
    return output


class RestGateway:
    """Serves ``/api/v3`` by transcoding to gRPC, plus the OpenAPI document and the API console."""

    def __init__(
        self,
        *,
        channel_for_service: ChannelFor,
        pool: DescriptorPool | None = None,
        service_names: Iterable[str] | None = None,
        error_details_type: str = ERROR_DETAILS_TYPE,
    ) -> None:
        self._channel_for = channel_for_service
        self._pool = pool if pool is not None else descriptor_pool.Default()
        names = list(service_names) if service_names is not None else services_with_rules(self._pool)
        self._bindings = bindings_for(self._pool, names)
        for binding in self._bindings:
            check_binding(binding)
        self._routes = RouteTable(self._bindings)
        self._details_type = error_details_type
        self._openapi: str | None = None

    @property
    def bindings(self) -> list[Binding]:
        return list(self._bindings)

    def add_routes(self, app: web.Application) -> None:
        """Mount the OpenAPI document, the console and the catch-all transcoding route."""
        app.router.add_get(PREFIX + "/openapi.json", self._handle_openapi)
        console.add_routes(app)
        app.router.add_route("*", PREFIX + "/{tail:.*}", self.handle)

    async def _handle_openapi(self, request: web.Request) -> web.Response:
        if self._openapi is None:
            self._openapi = _dumps(build_document(self._bindings))
        return web.Response(text=self._openapi, content_type=_JSON)

    def _error_response(self, body: ErrorBody, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(status=body.status, text=_dumps(body.json), content_type=_JSON, headers=headers)

    def _gateway_error(self, error: LorastackError, status: int | None = None) -> ErrorBody:
        return from_lorastack_error(error, self._pool, status=status, details_type=self._details_type)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Transcode one HTTP request; every failure is a JSON error body, never a traceback."""
        try:
            return await self._handle(request)
        except (OSError, web.HTTPException):
            raise
        except Exception as err:
            internal = ERR_INTERNAL(cause=err)
            _log.exception("httpapi.internal_error", path=request.path, correlation_id=internal.correlation_id)
            return self._error_response(self._gateway_error(internal))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        binding, variables, known = self._routes.lookup(request.method, raw_path)
        if binding is None:
            if known:
                error = ERR_METHOD_NOT_ALLOWED(method=request.method, path=request.path)
                allow = ", ".join(self._routes.allowed_methods(raw_path))
                return self._error_response(self._gateway_error(error, status=405), {"Allow": allow})
            missing = ERR_ROUTE_NOT_FOUND(method=request.method, path=request.path)
            return self._error_response(self._gateway_error(missing))
        channel = self._channel_for(binding.service_name)
        if channel is None:
            return self._error_response(self._gateway_error(ERR_NO_PEER(service=binding.service_name)))
        try:
            message = self._request_message(binding, variables, request.query.items(), await request.read())
        except LorastackError as err:
            return self._error_response(self._gateway_error(err))
        metadata = request_metadata(request.headers, request.remote)
        if binding.server_streaming:
            return await self._stream(request, channel, binding, message, metadata)
        return await self._unary(channel, binding, message, metadata)

    def _request_message(
        self, binding: Binding, variables: dict[str, str], query: Iterable[tuple[str, str]], body: bytes
    ) -> Message:
        message = GetMessageClass(binding.method.input_type)()
        build_request(binding, message, variables, query, body)
        target = _mask_target(binding.method.input_type, binding.method.output_type)
        if target is not None:
            mask = getattr(message, "field_mask")  # noqa: B009
            if mask.paths:
                fieldmask.validate_paths(target, mask.paths)
        return message

    def _response_json(self, binding: Binding, message: Message) -> Any:
        if binding.response_body:
            field = binding.method.output_type.fields_by_name[binding.response_body]
            return to_json(message).get(field.name, [] if field.is_repeated else {})
        return to_json(message)

    async def _unary(
        self, channel: grpc.aio.Channel, binding: Binding, message: Message, metadata: list[tuple[str, str]]
    ) -> web.Response:
        output = GetMessageClass(binding.method.output_type)
        call = channel.unary_unary(
            binding.grpc_path, request_serializer=_serialize, response_deserializer=output.FromString
        )(message, metadata=metadata)
        try:
            response = await call
            initial = await call.initial_metadata()
        except grpc.aio.AioRpcError as err:
            return self._error_response(from_rpc_error(err, self._pool))
        return web.Response(
            text=_dumps(self._response_json(binding, response)),
            content_type=_JSON,
            headers=response_headers(initial),
        )

    async def _stream(
        self,
        request: web.Request,
        channel: grpc.aio.Channel,
        binding: Binding,
        message: Message,
        metadata: list[tuple[str, str]],
    ) -> web.StreamResponse:
        output = GetMessageClass(binding.method.output_type)
        call = channel.unary_stream(
            binding.grpc_path, request_serializer=_serialize, response_deserializer=output.FromString
        )(message, metadata=metadata)
        response: web.StreamResponse | None = None
        try:
            async for item in call:
                if response is None:
                    response = await self._start_stream(request, call)
                line = _dumps({"result": self._response_json(binding, item)}) + "\n"
                await response.write(line.encode())
        except grpc.aio.AioRpcError as err:
            body = from_rpc_error(err, self._pool)
            if response is None:
                return self._error_response(body)
            await response.write((_dumps({"error": body.json}) + "\n").encode())
        except (ConnectionResetError, OSError):
            call.cancel()
            raise
        finally:
            if not call.done():
                call.cancel()
        if response is None:
            response = await self._start_stream(request, call)
        await response.write_eof()
        return response

    async def _start_stream(self, request: web.Request, call: grpc.aio.UnaryStreamCall[Any, Any]) -> web.StreamResponse:
        headers = response_headers(await call.initial_metadata())
        response = web.StreamResponse(status=200, headers=headers)
        response.content_type = _JSON
        response.enable_chunked_encoding()
        await response.prepare(request)
        return response


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()
