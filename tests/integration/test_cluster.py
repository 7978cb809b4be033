"""The five real processes together: readiness, REST = gRPC, cluster keys,
bad input, Prometheus scraping every role, and a clean SIGTERM stop."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import grpc
import pytest
import pytest_asyncio
from google.protobuf import empty_pb2, json_format
from prometheus_client import CollectorRegistry

from cluster_support import cluster_names, log_records, running_cluster, wait_for
from lorastack import events
from lorastack.devcluster import LocalCluster
from lorastack.events import EventBus
from support import free_port
from ttn.lorawan.v3 import join_pb2, joinserver_pb2, joinserver_pb2_grpc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalCluster]:
    async for running in running_cluster(tmp_path_factory.mktemp("cluster"), cluster_names()):
        yield running


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def test_every_role_reports_ready(cluster: LocalCluster, http: aiohttp.ClientSession) -> None:
    for role, rp in cluster.roles.items():
        async with http.get(f"{rp.http_url}/healthz/ready") as resp:
            body = await resp.json()
        assert resp.status == 200, body
        assert body["role"] == role
        assert all(result == "ok" for result in body["checks"].values()), body
        async with http.get(f"{rp.http_url}/healthz/live") as resp:
            assert resp.status == 200


async def test_rest_and_grpc_give_the_same_answer(cluster: LocalCluster, http: aiohttp.ClientSession) -> None:
    async with grpc.aio.insecure_channel(cluster.roles["js"].grpc_target) as channel:
        over_grpc = await joinserver_pb2_grpc.JsStub(channel).GetJoinEUIPrefixes(empty_pb2.Empty())
    assert len(over_grpc.prefixes) == 1
    # The JS serves it itself; every other role (the IS is the README's base URL) forwards it.
    for role in ("js", "is", "gs", "ns", "as"):
        async with http.get(f"{cluster.roles[role].http_url}/api/v3/js/join_eui_prefixes") as resp:
            assert resp.status == 200
            body = await resp.json()
        over_rest = json_format.ParseDict(
            {
                "prefixes": [
                    {"join_eui": bytes.fromhex(p["join_eui"]).hex() and _b64(p["join_eui"])}
                    for p in body.get("prefixes", [])
                ]
            },
            joinserver_pb2.JoinEUIPrefixes(),
        )
        assert over_rest == over_grpc, (role, body)


def _b64(hex_text: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hex_text)).decode()


async def test_openapi_document_and_console_are_served(cluster: LocalCluster, http: aiohttp.ClientSession) -> None:
    base = cluster.roles["is"].http_url
    async with http.get(f"{base}/api/v3/openapi.json") as resp:
        assert resp.status == 200
        document = await resp.json()
    assert document["paths"]["/api/v3/js/join_eui_prefixes"]["get"]["operationId"] == "Js_GetJoinEUIPrefixes"
    async with http.get(f"{base}/api") as resp:
        assert resp.status == 200
        page = await resp.text()
    assert "<html" in page.lower() and "https://" not in page  # local assets only


async def test_cluster_only_call_needs_the_cluster_key(cluster: LocalCluster) -> None:
    key = cluster.roles["is"].env["LORASTACK_CLUSTER_KEYS"]
    async with grpc.aio.insecure_channel(cluster.roles["js"].grpc_target) as channel:
        stub = joinserver_pb2_grpc.NsJsStub(channel)
        for metadata in (
            (),
            (("authorization", "Bearer NNSXS.NOT.A-CLUSTER-KEY"),),
            (("authorization", "ClusterKey " + "00" * 16),),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.HandleJoin(join_pb2.JoinRequest(), metadata=metadata)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # With the key the call gets past authentication to the handler.
        with pytest.raises(grpc.aio.AioRpcError) as admitted:
            await stub.HandleJoin(join_pb2.JoinRequest(), metadata=(("authorization", f"ClusterKey {key}"),))
        assert admitted.value.code() != grpc.StatusCode.UNAUTHENTICATED


async def _error(http: aiohttp.ClientSession, method: str, url: str, **kwargs: object) -> tuple[int, dict]:
    async with http.request(method, url, **kwargs) as resp:  # type: ignore[arg-type]
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


async def test_bad_input_gets_a_clear_error(cluster: LocalCluster, http: aiohttp.ClientSession) -> None:
    base = cluster.roles["is"].http_url + "/api/v3"
    auth = {"Authorization": "Bearer NNSXS.TEST.KEY"}
    status, body = await _error(http, "GET", f"{base}/no/such/path")
    assert status == 404 and body["code"] == 5 and "no route" in body["message"]

    status, body = await _error(
        http, "PUT", f"{base}/js/applications/app-1/devices/dev-1", data=b"{not json", headers=auth
    )
    assert status == 400 and body["code"] == 3
    assert "line 1 column 2" in body["message"]

    status, body = await _error(http, "GET", f"{base}/js/applications/app-1/devices/dev-1")
    assert status == 401 and body["code"] == 16
    assert body["details"][0]["name"] == "unauthenticated"

    status, body = await _error(
        http, "GET", f"{base}/js/applications/app-1/devices/dev-1?field_mask=no_such_field", headers=auth
    )
    assert status == 400 and "no_such_field" in body["message"]


async def test_an_event_of_one_process_reaches_a_subscriber(cluster: LocalCluster, http: aiohttp.ClientSession) -> None:
    key = next(line.rsplit(" ", 1)[1] for line in (await cluster.bootstrap()).splitlines() if "API key" in line)
    auth = {"Authorization": f"Bearer {key}"}
    base = cluster.roles["is"].http_url + "/api/v3"
    env = cluster.roles["js"].env
    async with (
        EventBus(
            "nats://127.0.0.1:4222",
            stream=env["LORASTACK_EVENTS_STREAM"],
            subject_prefix=env["LORASTACK_EVENTS_SUBJECT_PREFIX"],
            registry=CollectorRegistry(),
        ) as bus,
        bus.subscribe([events.application("events-app")], ["js.end_device.*"]) as subscription,
    ):
        body = {"application": {"ids": {"application_id": "events-app"}}}
        async with http.post(f"{base}/users/admin/applications", json=body, headers=auth) as resp:
            assert resp.status == 200, await resp.text()
        device = {
            "ids": {
                "device_id": "dev-1",
                "application_ids": {"application_id": "events-app"},
                "dev_eui": "70B3D57ED0000001",
                "join_eui": "70B3D57ED0000000",
            },
            "root_keys": {"app_key": {"key": "000102030405060708090A0B0C0D0E0F"}},
        }
        paths = ["ids", "root_keys.app_key.key"]
        url = f"{base}/js/applications/events-app/devices/dev-1"
        async with http.put(url, json={"end_device": device, "field_mask": {"paths": paths}}, headers=auth) as resp:
            assert resp.status == 200, await resp.text()
        event = await asyncio.wait_for(anext(aiter(subscription)), 10)
    assert event.name == "js.end_device.create"
    assert event.origin.endswith("/js")
    assert event.identifiers[0].device_ids.device_id == "dev-1"
    assert "000102030405060708090A0B0C0D0E0F".lower() not in event.SerializeToString().hex()


async def test_prometheus_scrapes_every_role(
    cluster: LocalCluster, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    binary = shutil.which("prometheus")
    assert binary, "Debian's prometheus package is missing: run scripts/setup.sh"
    targets = [f"127.0.0.1:{rp.http_port}" for rp in cluster.roles.values()]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                "scrape_configs": [{"job_name": "lorastack", "static_configs": [{"targets": targets}]}],
            }
        )
    )
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - a child that lives across awaits
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        async def roles_seen() -> set[str] | None:
            try:
                async with http.get(
                    f"http://127.0.0.1:{port}/api/v1/query", params={"query": '{__name__=~"lorastack_.+_up"}'}
                ) as resp:
                    result = (await resp.json())["data"]["result"]
            except (aiohttp.ClientError, KeyError):
                return None
            seen = {r["metric"]["__name__"].split("_")[1] for r in result if r["value"][1] == "1"}
            return seen if seen == set(cluster.roles) else None

        assert await wait_for(roles_seen, timeout=30) == set(cluster.roles)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_sigterm_stops_everything_cleanly(cluster: LocalCluster) -> None:
    codes = await asyncio.wait_for(cluster.stop(), 30)
    assert codes == {role: 0 for role in cluster.roles}, {r: cluster.roles[r].log_tail() for r in codes}
    for role, rp in cluster.roles.items():
        records = log_records(rp.log_path)
        assert any(r.get("event") == "stopped" for r in records), role
        errors = [r for r in records if r.get("level") in ("error", "critical")]
        assert not errors, (role, errors)
