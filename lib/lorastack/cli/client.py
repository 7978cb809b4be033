"""Calls any RPC of the public API by its full name, routed to the role that serves it.

The method's request and response types come from the generated descriptors, so the CLI needs no
per-service stubs; authentication is the operator's API key as ``authorization: Bearer`` metadata.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, cast

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from lorastack.cli.config import CliConfig
from lorastack.cluster.roles import role_of_service
from lorastack.rpc import protos

__all__ = ["Client", "method_descriptor"]

_PACKAGE = "ttn.lorawan.v3."


def method_descriptor(method: str) -> MethodDescriptor:
    """``"ApplicationRegistry/Create"`` (package ttn.lorawan.v3 implied) to its descriptor."""
    service_name, _, method_name = method.rpartition("/")
    if "." not in service_name:
        service_name = _PACKAGE + service_name
    service = cast(ServiceDescriptor, protos.service_descriptor(service_name))
    return service.methods_by_name[method_name]


class Client:
    """One channel per distinct address, opened on first use and closed with the client."""

    def __init__(self, config: CliConfig, *, timeout: float = 30.0) -> None:
        self._config = config
        self._timeout = timeout
        self._channels: dict[str, grpc.aio.Channel] = {}

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close(None)
        self._channels.clear()

    def _channel(self, descriptor: MethodDescriptor) -> grpc.aio.Channel:
        role = role_of_service(descriptor.containing_service.full_name) or "is"
        address = self._config.address(role)
        if address not in self._channels:
            self._channels[address] = grpc.aio.insecure_channel(address)
        return self._channels[address]

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        if not self._config.api_key:
            return ()
        return (("authorization", f"Bearer {self._config.api_key}"),)

    @staticmethod
    def _path(descriptor: MethodDescriptor) -> str:
        return f"/{descriptor.containing_service.full_name}/{descriptor.name}"

    async def call(self, method: str, request: Message) -> Any:
        """A unary call; raises ``grpc.aio.AioRpcError`` when the server refuses."""
        descriptor = method_descriptor(method)
        response_class = GetMessageClass(descriptor.output_type)
        stub = self._channel(descriptor).unary_unary(
            self._path(descriptor),
            request_serializer=_serialize,
            response_deserializer=response_class.FromString,
        )
        return await stub(request, metadata=self._metadata(), timeout=self._timeout)

    async def stream(self, method: str, request: Message) -> AsyncIterator[Any]:
        """A server stream, followed until the server ends it (no deadline)."""
        descriptor = method_descriptor(method)
        response_class = GetMessageClass(descriptor.output_type)
        stub = self._channel(descriptor).unary_stream(
            self._path(descriptor),
            request_serializer=_serialize,
            response_deserializer=response_class.FromString,
        )
        call = stub(request, metadata=self._metadata())
        try:
            async for message in call:
                yield message
        finally:
            call.cancel()

    def request(self, method: str, **fields: Any) -> Any:
        """An empty request message of ``method``, with ``fields`` set (for readable handlers)."""
        message = GetMessageClass(method_descriptor(method).input_type)()
        for name, value in fields.items():
            _assign(message, name, value)
        return message


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def _assign(message: Message, name: str, value: Any) -> None:
    if isinstance(value, Message):
        getattr(message, name).CopyFrom(value)
    elif isinstance(value, list | tuple):
        target = getattr(message, name)
        del target[:]
        target.extend(value)
    else:
        setattr(message, name, value)
