"""A bare Component in-process: the interceptor's error mapping, metrics, health, REST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import pytest
import pytest_asyncio
from google.protobuf import empty_pb2
from google.rpc import status_pb2

from lorastack.component import Component
from lorastack.config import ServiceConfig, load
from lorastack.errors import define
from ttn.lorawan.v3 import error_pb2, joinserver_pb2_grpc

not_allowed = define("pkg/test", "prefixes_hidden", "prefixes of `{who}` are hidden", grpc.StatusCode.PERMISSION_DENIED)


class BrokenJs(joinserver_pb2_grpc.JsServicer):
    def __init__(self) -> None:
        self.mode = "crash"

    async def GetJoinEUIPrefixes(self, request: empty_pb2.Empty, context: Any) -> Any:
        if self.mode == "crash":
            raise RuntimeError("secret internal detail")
        raise not_allowed(who="you")


@pytest_asyncio.fixture
async def component() -> AsyncIterator[Component]:
    config = load(ServiceConfig, {}, grpc_address="127.0.0.1:0", http_address="127.0.0.1:0")
    comp = Component("js", config)
    comp.add_service("ttn.lorawan.v3.Js", BrokenJs())
    await comp.start()
    yield comp
    await comp.stop()


def _details(err: grpc.aio.AioRpcError) -> error_pb2.ErrorDetails:
    raw = dict(err.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    details = error_pb2.ErrorDetails()
    assert status.details[0].Unpack(details)
    return details


async def test_unexpected_exception_becomes_internal_without_leaking(component: Component) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await joinserver_pb2_grpc.JsStub(channel).GetJoinEUIPrefixes(empty_pb2.Empty())
    err = caught.value
    assert err.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (err.details() or "") and "Traceback" not in (err.details() or "")
    details = _details(err)
    assert (details.namespace, details.name) == ("pkg/rpc", "internal")
    assert len(details.correlation_id) == 32


async def test_defined_error_keeps_code_name_and_attributes(component: Component) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}") as channel:
        stub = joinserver_pb2_grpc.JsStub(channel)
        broken = _servicer(component)
        broken.mode = "deny"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetJoinEUIPrefixes(empty_pb2.Empty())
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    details = _details(caught.value)
    assert details.name == "prefixes_hidden"
    assert details.attributes["who"] == "you"
    assert details.message_format == "prefixes of `{who}` are hidden"


async def test_rest_maps_the_error_and_metrics_count_calls(component: Component) -> None:
    _servicer(component).mode = "deny"
    base = f"http://127.0.0.1:{component.http_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v3/js/join_eui_prefixes") as resp:
            assert resp.status == 403
            body = await resp.json()
        assert body["details"][0]["name"] == "prefixes_hidden"
        async with http.get(f"{base}/metrics") as resp:
            text = await resp.text()
        async with http.get(f"{base}/healthz/ready") as resp:
            assert resp.status == 200  # no checks registered: ready
    assert (
        'lorastack_js_grpc_requests_total{code="PERMISSION_DENIED",method="/ttn.lorawan.v3.Js/GetJoinEUIPrefixes"}'
        in text
    )


async def test_not_ready_while_a_check_fails(component: Component) -> None:
    async def failing() -> None:
        raise ConnectionError("redis down")

    component.health.add("redis", failing)
    url = f"http://127.0.0.1:{component.http_port}/healthz/ready"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 503
        assert "redis down" in (await resp.json())["checks"]["redis"]


def _servicer(component: Component) -> BrokenJs:
    return component.servicers["ttn.lorawan.v3.Js"]  # type: ignore[no-any-return]
