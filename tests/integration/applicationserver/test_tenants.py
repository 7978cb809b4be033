"""Two tenants holding an application of the same id: links, devices, rights look-ups, MQTT logins and topics,
downlinks and REST calls stay in their own tenant."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import grpc
import pytest

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, join_accept, uplink, wait_until
from integration.applicationserver.test_mqtt import Client
from ttn.lorawan.v3 import (
    applicationserver_pb2,
    applicationserver_pb2_grpc,
    end_device_pb2,
    identifiers_pb2,
)

APP = "app-t"
TOKENS = {"acme": "NNSXS.ACME.SECRET", "globex": "NNSXS.GLOBEX.SECRET"}


def _md(tenant: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKENS[tenant]}"), ("x-tenant-id", tenant))


async def _link(h: ASHarness, tenant: str) -> None:
    async with grpc.aio.insecure_channel(h.grpc_target) as channel:
        await applicationserver_pb2_grpc.AsStub(channel).SetLink(
            applicationserver_pb2.SetApplicationLinkRequest(
                application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP),
                link=applicationserver_pb2.ApplicationLink(),
            ),
            metadata=_md(tenant),
        )
    await asyncio.wait_for(h.peers.ns.linked_event(f"{APP}@{tenant}").wait(), 10)


async def test_same_application_id_in_two_tenants(harness: ASHarness) -> None:
    for tenant, token in TOKENS.items():
        harness.peers.identity.grant(token, f"{APP}@{tenant}", *ALL_APP)
    harness.peers.js.keys[b"sk-acme"] = APP_S_KEY
    harness.peers.js.keys[b"sk-globex"] = APP_S_KEY
    await harness.start()
    for tenant in TOKENS:
        await _link(harness, tenant)
    ns = harness.peers.ns
    assert ns.link_metadata[f"{APP}@acme"]["x-tenant-id"] == "acme"
    assert ns.link_metadata[f"{APP}@globex"]["x-tenant-id"] == "globex"
    assert f"{APP}" not in ns.link_metadata

    port = int(harness.config.as_mqtt_address.rpartition(":")[2])
    acme = Client(port, f"{APP}@acme", TOKENS["acme"])
    globex = Client(port, f"{APP}@globex", TOKENS["globex"])
    try:
        assert str(await acme.connect_result()) == "Success"
        assert str(await globex.connect_result()) == "Success"
        assert [str(c) for c in await acme.subscribe(f"v3/{APP}@acme/devices/+/up", 0)] == ["Granted QoS 0"]
        assert [str(c) for c in await globex.subscribe(f"v3/{APP}@globex/devices/+/up", 0)] == ["Granted QoS 0"]
        # The other tenant's topic for the same application id is not acme's to read.
        assert "Unspecified error" in str(await acme.subscribe(f"v3/{APP}@globex/devices/+/up", 0))
        assert "Unspecified error" in str(await acme.subscribe(f"v3/{APP}/devices/+/up", 0))

        for tenant, f_cnt in (("acme", 11), ("globex", 22)):
            queue = ns.queue(f"{APP}@{tenant}")
            queue.put_nowait(join_accept(APP, "dev1", f"sk-{tenant}".encode()))
            queue.put_nowait(uplink(APP, "dev1", f"sk-{tenant}".encode(), f_cnt, bytes([f_cnt])))
        topic, payload = await acme.message()
        assert topic == f"v3/{APP}@acme/devices/dev1/up"
        assert json.loads(payload)["uplink_message"]["f_cnt"] == 11
        topic, payload = await globex.message()
        assert topic == f"v3/{APP}@globex/devices/dev1/up"
        assert json.loads(payload)["uplink_message"]["f_cnt"] == 22
        await asyncio.sleep(0.3)
        assert acme.messages.empty() and globex.messages.empty()

        # The same device id holds a different session in each tenant.
        async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
            registry = applicationserver_pb2_grpc.AsEndDeviceRegistryStub(channel)
            for tenant in TOKENS:
                device = await registry.Get(
                    end_device_pb2.GetEndDeviceRequest(
                        end_device_ids=identifiers_pb2.EndDeviceIdentifiers(
                            device_id="dev1",
                            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP),
                        ),
                        field_mask={"paths": ["session.keys.session_key_id"]},
                    ),
                    metadata=_md(tenant),
                )
                assert device.session.keys.session_key_id == f"sk-{tenant}".encode()

        acme.client.publish(f"v3/{APP}@acme/devices/dev1/down/push", json.dumps({"downlinks": [{"f_port": 3}]}))
        await wait_until(lambda: len(ns.pushed) == 1)
        assert ns.pushed_tenants == ["acme"]
        assert ns.pushed[0].downlinks[0].session_key_id == b"sk-acme"
    finally:
        acme.close()
        globex.close()


async def test_tenant_credentials_do_not_cross(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKENS["acme"], f"{APP}@acme", *ALL_APP)
    await harness.start()
    await _link(harness, "acme")
    port = int(harness.config.as_mqtt_address.rpartition(":")[2])
    # acme's key names the same application id, but in another tenant (or the default one) it is nothing.
    for username in (f"{APP}@globex", APP, f"{APP}@Bad_Tenant"):
        client = Client(port, username, TOKENS["acme"])
        try:
            assert str(await client.connect_result()) != "Success"
        finally:
            client.close()

    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        stub = applicationserver_pb2_grpc.AsStub(channel)
        request = applicationserver_pb2.GetApplicationLinkRequest(
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP)
        )
        await stub.GetLink(request, metadata=_md("acme"))
        cross = (("authorization", f"Bearer {TOKENS['acme']}"), ("x-tenant-id", "globex"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetLink(request, metadata=cross)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        invalid = (("authorization", f"Bearer {TOKENS['acme']}"), ("x-tenant-id", "no/such"))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetLink(request, metadata=invalid)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # An application id cannot smuggle a tenant in.
        smuggled = applicationserver_pb2.GetApplicationLinkRequest(
            application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=f"{APP}@acme")
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetLink(smuggled, metadata=(("authorization", f"Bearer {TOKENS['acme']}"),))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKENS['acme']}"}) as http:
        url = f"{harness.base_url}/as/applications/{APP}/link"
        resp = await http.get(url, headers={"Grpc-Metadata-X-Tenant-Id": "acme"})
        assert resp.status == 200, await resp.text()
        resp = await http.get(url)
        assert resp.status == 403
