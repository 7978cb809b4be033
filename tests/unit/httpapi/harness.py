"""Test harness of the REST gateway: the test protos compiled at test time, a real grpc.aio server
answering from them, and an aiohttp app with the gateway on a free port."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import grpc
from aiohttp import web
from google.protobuf import any_pb2, empty_pb2, timestamp_pb2
from google.protobuf.message import Message
from google.rpc import status_pb2

from lorastack.httpapi import RestGateway

PROTO_DIR = Path(__file__).parent / "protos"
MODULE_NAME = "lorastack_httpapi_test_things_pb2"
SERVICE = "lorastack.test.v1.DeviceRegistry"
DETAILS_TYPE = "lorastack.test.v1.ErrorDetails"


def compile_protos(out: Path) -> ModuleType:
    from grpc_tools import protoc

    site = Path(grpc.__file__).parent.parent
    wkt = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{site}",
        f"-I{wkt}",
        f"--python_out={out}",
        "lstest/things.proto",
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on the test protos")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, out / "lstest" / "things_pb2.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Recorder:
    requests: list[Message] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)


def _details(pb: ModuleType, code: int, unknown: bool) -> bytes:
    detail = pb.ErrorDetails(
        namespace="pkg/test",
        name="device_not_found",
        message_format="device `{device_id}` not found",
        correlation_id="abc123",
        code=code,
    )
    detail.attributes.update({"device_id": "dev1"})
    packed = any_pb2.Any()
    packed.Pack(detail)
    status = status_pb2.Status(code=code, message="error:pkg/test:device_not_found", details=[packed])
    if unknown:
        status.details.add(type_url="type.googleapis.com/nowhere.Thing", value=b"\x08\x01")
    return status.SerializeToString()


def _handlers(pb: ModuleType, recorder: Recorder) -> grpc.GenericRpcHandler:
    def record(request: Message, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        recorder.requests.append(request)
        recorder.metadata.append({k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)})

    async def get(request: Any, context: Any) -> Any:
        record(request, context)
        return pb.Device(ids=request.end_device_ids, name="dev", counter=5)

    async def list_(request: Any, context: Any) -> Any:
        record(request, context)
        await context.send_initial_metadata((("x-total-count", "42"), ("x-other", "yes")))
        return pb.Devices(devices=[pb.Device(name="a"), pb.Device(name="b")])

    async def echo_device(request: Any, context: Any) -> Any:
        record(request, context)
        return request.end_device

    async def create_key(request: Any, context: Any) -> Any:
        record(request, context)
        return request.api_key

    async def stream(request: Any, context: Any) -> AsyncIterator[Any]:
        record(request, context)
        for index in range(request.count):
            data = any_pb2.Any()
            data.Pack(timestamp_pb2.Timestamp(seconds=index))
            yield pb.Event(name="test.event", index=index, data=data)
        if request.fail_code:
            code = grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == request.fail_code))
            await context.abort(code, "stream failed")

    async def fail(request: Any, context: Any) -> Any:
        record(request, context)
        code = next(c for c in grpc.StatusCode if c.value[0] == request.code)
        trailing = (("grpc-status-details-bin", _details(pb, request.code, request.unknown_detail)),)
        await context.abort(code, "error:pkg/test:device_not_found (device `dev1` not found)", trailing)

    async def echo(request: Any, context: Any) -> Any:
        record(request, context)
        return pb.MetadataResponse(metadata=recorder.metadata[-1])

    async def resource(request: Any, context: Any) -> Any:
        record(request, context)
        return pb.Resource(name=request.name, state="got")

    async def activate(request: Any, context: Any) -> Any:
        record(request, context)
        return pb.Resource(name=request.name, state="active")

    def unary(fn: Callable[..., Any], req: type[Message], resp: type[Message]) -> Any:
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString
        )

    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Get": unary(get, pb.GetDeviceRequest, pb.Device),
            "List": unary(list_, pb.ListDevicesRequest, pb.Devices),
            "Set": unary(echo_device, pb.SetDeviceRequest, pb.Device),
            "Update": unary(echo_device, pb.SetDeviceRequest, pb.Device),
            "CreateKey": unary(create_key, pb.CreateKeyRequest, pb.Key),
            "Stream": grpc.unary_stream_rpc_method_handler(
                stream, request_deserializer=pb.StreamRequest.FromString, response_serializer=pb.Event.SerializeToString
            ),
            "Fail": unary(fail, pb.FailRequest, empty_pb2.Empty),
            "Echo": unary(echo, empty_pb2.Empty, pb.MetadataResponse),
            "GetResource": unary(resource, pb.GetResourceRequest, pb.Resource),
            "Activate": unary(activate, pb.GetResourceRequest, pb.Resource),
        },
    )


@dataclass
class Harness:
    pb: ModuleType
    recorder: Recorder
    gateway: RestGateway
    session: aiohttp.ClientSession
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def last(self) -> Any:
        return self.recorder.requests[-1]


async def start_harness(pb: ModuleType, **gateway_options: Any) -> AsyncIterator[Harness]:
    recorder = Recorder()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((_handlers(pb, recorder),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    options: dict[str, Any] = {
        "channel_for_service": lambda name: channel if name == SERVICE else None,
        "service_names": [SERVICE, "lorastack.test.v1.Unreachable"],
        "error_details_type": DETAILS_TYPE,
    }
    options.update(gateway_options)
    gateway = RestGateway(**options)
    app = web.Application()
    gateway.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http_port = runner.addresses[0][1]
    session = aiohttp.ClientSession()
    try:
        yield Harness(pb, recorder, gateway, session, f"http://127.0.0.1:{http_port}")
    finally:
        await session.close()
        await runner.cleanup()
        await channel.close()
        await server.stop(None)
