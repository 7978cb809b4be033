"""NsEndDeviceRegistry and Ns.GenerateDevAddr over gRPC and REST against the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import grpc
import pytest
from google.protobuf import empty_pb2, field_mask_pb2

from integration.networkserver.nsharness import USER_MD, Peers, fake_peers, new_tag, ns_config, running_ns
from lorastack.component import Component
from lorastack.lorawan import DevAddr
from networkserver.config import NetworkServerConfig
from ttn.lorawan.v3 import (
    end_device_pb2,
    identifiers_pb2,
    keys_pb2,
    lorawan_pb2,
    networkserver_pb2_grpc,
    rights_pb2,
)

APP = "app-one"
NWK_S_KEY = bytes.fromhex("44024241ED4CE9A68C6A8BC055233FD3")


def abp_device(dev_id: str = "dev-one", dev_addr: str = "26011BDA") -> end_device_pb2.EndDevice:
    return end_device_pb2.EndDevice(
        ids=identifiers_pb2.EndDeviceIdentifiers(
            device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP)
        ),
        frequency_plan_id="EU_863_870",
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
        supports_join=False,
        session=end_device_pb2.Session(
            dev_addr=bytes.fromhex(dev_addr),
            keys=keys_pb2.SessionKeys(f_nwk_s_int_key=keys_pb2.KeyEnvelope(key=NWK_S_KEY)),
        ),
    )


ALL_PATHS = [
    "frequency_plan_id",
    "lorawan_version",
    "lorawan_phy_version",
    "supports_join",
    "session.dev_addr",
    "session.keys",
]


@pytest.fixture
async def ns() -> AsyncIterator[tuple[Component, NetworkServerConfig, Peers]]:
    async with fake_peers() as peers:
        config = ns_config(new_tag(), peers.address)
        async with running_ns([config]) as (component,):
            yield component, config, peers


def _stub(component: Component) -> tuple[grpc.aio.Channel, networkserver_pb2_grpc.NsEndDeviceRegistryStub]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}")
    return channel, networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)


async def test_set_get_delete_over_grpc(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, _ = ns
    channel, stub = _stub(component)
    async with channel:
        mask = field_mask_pb2.FieldMask(paths=ALL_PATHS)
        request = end_device_pb2.SetEndDeviceRequest(end_device=abp_device(), field_mask=mask)
        created = await stub.Set(request, metadata=USER_MD)
        assert created.session.dev_addr == bytes.fromhex("26011BDA")
        assert created.HasField("created_at")
        got = await stub.Get(
            end_device_pb2.GetEndDeviceRequest(
                end_device_ids=created.ids, field_mask=field_mask_pb2.FieldMask(paths=["session", "mac_state"])
            ),
            metadata=USER_MD,
        )
        assert got.session.keys.f_nwk_s_int_key.key == NWK_S_KEY
        assert got.mac_state.current_parameters.rx2_frequency == 869_525_000
        await stub.Delete(created.ids, metadata=USER_MD)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Get(end_device_pb2.GetEndDeviceRequest(end_device_ids=created.ids), metadata=USER_MD)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("change", "paths", "needle"),
    [
        (lambda d: d.ClearField("session"), ["session"], "ABP device needs a session"),
        (lambda d: setattr(d, "frequency_plan_id", "NOPE"), ["frequency_plan_id"], "NOPE"),
        (lambda d: setattr(d, "lorawan_phy_version", lorawan_pb2.PHY_V1_1_REV_B), ["lorawan_phy_version"], "PHY"),
        (lambda d: setattr(d.mac_state, "device_class", lorawan_pb2.CLASS_C), ["mac_state"], "class C"),
        (lambda d: setattr(d.session, "dev_addr", b"\x01"), ["session.dev_addr"], "dev_addr"),
    ],
)
async def test_set_refuses_inconsistent_devices(
    ns: tuple[Component, NetworkServerConfig, Peers], change: object, paths: list[str], needle: str
) -> None:
    component, _, _ = ns
    device = abp_device()
    change(device)  # type: ignore[operator]
    channel, stub = _stub(component)
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Set(
                end_device_pb2.SetEndDeviceRequest(
                    end_device=device, field_mask=field_mask_pb2.FieldMask(paths=sorted({*ALL_PATHS, *paths}))
                ),
                metadata=USER_MD,
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert needle in (info.value.details() or "")


async def test_keys_need_the_keys_right(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, peers = ns
    channel, stub = _stub(component)
    async with channel:
        mask = field_mask_pb2.FieldMask(paths=ALL_PATHS)
        await stub.Set(end_device_pb2.SetEndDeviceRequest(end_device=abp_device(), field_mask=mask), metadata=USER_MD)
        peers.identity.rights = [rights_pb2.RIGHT_APPLICATION_DEVICES_READ]
        # The rights cache still holds the earlier answer for APP: ask about another application.
        ids = identifiers_pb2.EndDeviceIdentifiers(
            device_id="dev-one", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-two")
        )
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Get(
                end_device_pb2.GetEndDeviceRequest(
                    end_device_ids=ids, field_mask=field_mask_pb2.FieldMask(paths=["session.keys"])
                ),
                metadata=USER_MD,
            )
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_rest_and_dev_addr(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, _ = ns
    base = f"http://127.0.0.1:{component.http_port}/api/v3"
    headers = {"Authorization": USER_MD[0][1]}
    body = {
        "end_device": {
            "ids": {"device_id": "dev-rest", "application_ids": {"application_id": APP}},
            "frequency_plan_id": "EU_863_870",
            "lorawan_version": "MAC_V1_0_3",
            "lorawan_phy_version": "PHY_V1_0_3_REV_A",
            "supports_join": False,
            "session": {"dev_addr": "26011BDC", "keys": {"f_nwk_s_int_key": {"key": NWK_S_KEY.hex().upper()}}},
        },
        "field_mask": {"paths": ALL_PATHS},
    }
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.put(f"{base}/ns/applications/{APP}/devices/dev-rest", json=body) as resp:
            assert resp.status == 200, await resp.text()
        async with http.get(
            f"{base}/ns/applications/{APP}/devices/dev-rest", params={"field_mask": "session.dev_addr"}
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["session"]["dev_addr"] == "26011BDC"
        async with http.get(f"{base}/ns/dev_addr") as resp:
            assert resp.status == 200
            text = (await resp.json())["dev_addr"]
        async with http.delete(f"{base}/ns/applications/{APP}/devices/dev-rest") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/ns/applications/{APP}/devices/dev-rest") as resp:
            assert resp.status == 404
    # NetID 000013 is type 0 with NwkID 0x13: the block 26000000/7.
    assert DevAddr.from_hex(text).value[0] >> 1 == 0x13


async def test_generate_dev_addr_grpc(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, _ = ns
    async with grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}") as channel:
        answer = await networkserver_pb2_grpc.NsStub(channel).GenerateDevAddr(empty_pb2.Empty(), metadata=USER_MD)
    assert answer.dev_addr[0] >> 1 == 0x13


async def test_rest_post_creates_and_refuses_without_rights(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, _ = ns
    url = f"http://127.0.0.1:{component.http_port}/api/v3/ns/applications/{APP}/devices"
    body = {
        "end_device": {
            "ids": {"device_id": "dev-post", "application_ids": {"application_id": APP}},
            "frequency_plan_id": "EU_863_870",
            "lorawan_version": "MAC_V1_0_3",
            "lorawan_phy_version": "PHY_V1_0_3_REV_A",
            "supports_join": True,
        },
        "field_mask": {"paths": ["frequency_plan_id", "lorawan_version", "lorawan_phy_version", "supports_join"]},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers={"Authorization": "Bearer NNSXS.OTHER.KEY"}) as resp:
            assert resp.status == 403
        async with http.post(url, json=body, headers={"Authorization": USER_MD[0][1]}) as resp:
            assert resp.status == 200, await resp.text()
            created = await resp.json()
    assert created["ids"]["device_id"] == "dev-post"
    assert created["supports_join"] is True


async def test_tenants_keep_their_devices_apart(ns: tuple[Component, NetworkServerConfig, Peers]) -> None:
    component, _, _ = ns
    acme = (*USER_MD, ("x-tenant-id", "acme"))
    channel, stub = _stub(component)
    async with channel:
        mask = field_mask_pb2.FieldMask(paths=ALL_PATHS)
        await stub.Set(
            end_device_pb2.SetEndDeviceRequest(end_device=abp_device(dev_addr="26011BE0"), field_mask=mask),
            metadata=acme,
        )
        request = end_device_pb2.GetEndDeviceRequest(
            end_device_ids=abp_device().ids, field_mask=field_mask_pb2.FieldMask(paths=["session.dev_addr"])
        )
        assert (await stub.Get(request, metadata=acme)).session.dev_addr == bytes.fromhex("26011BE0")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Get(request, metadata=USER_MD)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
