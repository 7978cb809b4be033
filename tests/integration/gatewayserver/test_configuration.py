"""Configuration.ListFrequencyPlans, GatewayConfigurator.PullConfiguration and the global_conf.json route."""

from __future__ import annotations

import asyncio

import aiohttp
import grpc
import pytest

from integration.gatewayserver.harness import EUI, USER_KEY, Harness
from ttn.lorawan.v3 import (
    configuration_services_pb2,
    configuration_services_pb2_grpc,
    gateway_services_pb2,
    gateway_services_pb2_grpc,
    identifiers_pb2,
)

USER_MD = (("authorization", f"Bearer {USER_KEY}"),)


async def test_list_frequency_plans_over_grpc_and_rest(gs: Harness) -> None:
    stub = configuration_services_pb2_grpc.ConfigurationStub(gs.channel)
    everything = await stub.ListFrequencyPlans(configuration_services_pb2.ListFrequencyPlansRequest())
    by_id = {p.id: p for p in everything.frequency_plans}
    assert by_id["EU_863_870_TTN"].base_id == "EU_863_870" and by_id["EU_863_870"].base_frequency == 868
    only_915 = await stub.ListFrequencyPlans(configuration_services_pb2.ListFrequencyPlansRequest(base_frequency=915))
    assert only_915.frequency_plans and all(p.base_frequency == 915 for p in only_915.frequency_plans)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{gs.http_base}/configuration/frequency-plans?base_frequency=868") as resp,
    ):
        assert resp.status == 200
        body = await resp.json()
    assert "EU_863_870_TTN" in {p["id"] for p in body["frequency_plans"]}


async def test_pull_configuration_streams_the_registration(gs: Harness) -> None:
    stub = gateway_services_pb2_grpc.GatewayConfiguratorStub(gs.channel)
    request = gateway_services_pb2.PullGatewayConfigurationRequest(
        gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id="gtw-one")
    )
    call = stub.PullConfiguration(request, metadata=USER_MD)
    async with asyncio.timeout(5):
        gateway = await call.read()
    call.cancel()
    assert gateway.ids.gateway_id == "gtw-one" and gateway.frequency_plan_id == "EU_863_870"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PullConfiguration(request, metadata=(("authorization", "Bearer NNSXS.X.Y"),)).read()
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_global_conf_json(gs: Harness) -> None:
    url = f"{gs.http_base}/gcs/gateways/gtw-one/semtechudp/global_conf.json"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {USER_KEY}"}) as resp:
            assert resp.status == 200
            conf = await resp.json()
        async with http.get(url) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "Bearer NNSXS.X.Y"}) as resp:
            assert resp.status == 403
    gateway_conf = conf["gateway_conf"]
    assert gateway_conf["gateway_ID"] == EUI.hex().upper()
    assert gateway_conf["serv_port_up"] == gateway_conf["serv_port_down"] == gs.gs.udp_port
    assert gateway_conf["server_address"] == "127.0.0.1"
    sx1301 = conf["SX1301_conf"]
    assert sx1301["radio_0"]["freq"] == 867_500_000 and sx1301["chan_multiSF_0"]["enable"] is True
