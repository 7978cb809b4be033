"""The application link end to end: SetLink over REST, join-accept (AppSKey from the JS, KEK-wrapped),
decrypted and decoded uplinks on AppAs.Subscribe, link statistics and the device registry."""

from __future__ import annotations

import asyncio

import aiohttp
import grpc

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import (
    ALL_APP,
    APP_S_KEY,
    DECODER,
    TOKEN,
    auth,
    join_accept,
    uplink,
    wait_until,
)
from ttn.lorawan.v3 import (
    applicationserver_pb2,
    applicationserver_pb2_grpc,
    end_device_pb2,
    identifiers_pb2,
    messages_pb2,
)


async def _set_link(h: ASHarness, app_id: str, body: dict[str, object]) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.put(
            f"{h.base_url}/as/applications/{app_id}/link",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert resp.status == 200, await resp.text()


async def test_join_then_uplink_is_decrypted_decoded_and_streamed(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app1", *ALL_APP)
    harness.peers.js.keys[b"sk-1"] = APP_S_KEY
    await harness.start()
    await _set_link(
        harness,
        "app1",
        {
            "link": {"default_formatters": {"up_formatter": "FORMATTER_JAVASCRIPT", "up_formatter_parameter": DECODER}},
            "field_mask": {"paths": ["default_formatters"]},
        },
    )
    ns = harness.peers.ns
    await asyncio.wait_for(ns.linked_event("app1").wait(), 10)
    assert ns.link_metadata["app1"]["authorization"].startswith("ClusterKey ")

    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        appas = applicationserver_pb2_grpc.AppAsStub(channel)
        stream = appas.Subscribe(identifiers_pb2.ApplicationIdentifiers(application_id="app1"), metadata=auth())
        await asyncio.sleep(0.3)  # the subscription is registered before the first message
        ns.queue("app1").put_nowait(join_accept("app1", "dev1", b"sk-1"))
        ns.queue("app1").put_nowait(uplink("app1", "dev1", b"sk-1", 1, bytes([0x01, 0x10])))
        first = await asyncio.wait_for(stream.read(), 10)
        second = await asyncio.wait_for(stream.read(), 10)
        stream.cancel()
        assert first.WhichOneof("up") == "join_accept"
        assert not first.join_accept.HasField("app_s_key")
        assert second.uplink_message.frm_payload == bytes([0x01, 0x10])
        assert dict(second.uplink_message.decoded_payload) == {"temperature": 27.2, "port": 1.0}
        assert not second.uplink_message.HasField("app_s_key")
        await wait_until(lambda: ns.acks.get("app1", 0) == 2)
        assert harness.peers.js.requests[0].session_key_id == b"sk-1"

        stats = await applicationserver_pb2_grpc.AsStub(channel).GetLinkStats(
            identifiers_pb2.ApplicationIdentifiers(application_id="app1"), metadata=auth()
        )
        assert stats.up_count == 2 and stats.HasField("linked_at")

        registry = applicationserver_pb2_grpc.AsEndDeviceRegistryStub(channel)
        device = await registry.Get(
            end_device_pb2.GetEndDeviceRequest(
                end_device_ids=identifiers_pb2.EndDeviceIdentifiers(
                    device_id="dev1", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app1")
                ),
                field_mask={"paths": ["session.keys.session_key_id", "session.keys.app_s_key"]},
            ),
            metadata=auth(),
        )
        assert device.session.keys.session_key_id == b"sk-1"
        assert device.session.keys.app_s_key.key == APP_S_KEY


async def test_skip_payload_crypto_passes_the_frame_on(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app2", *ALL_APP)
    harness.peers.js.keys[b"sk-2"] = APP_S_KEY
    harness.peers.js.kek_label = "foreign"  # the AS cannot unwrap this one
    await harness.start()
    await _set_link(
        harness, "app2", {"link": {"skip_payload_crypto": True}, "field_mask": {"paths": ["skip_payload_crypto"]}}
    )
    ns = harness.peers.ns
    await asyncio.wait_for(ns.linked_event("app2").wait(), 10)
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
            identifiers_pb2.ApplicationIdentifiers(application_id="app2"), metadata=auth()
        )
        await asyncio.sleep(0.3)
        ns.queue("app2").put_nowait(join_accept("app2", "dev1", b"sk-2"))
        up = uplink("app2", "dev1", b"sk-2", 5, b"secret")
        encrypted = up.uplink_message.frm_payload
        ns.queue("app2").put_nowait(up)
        accept = await asyncio.wait_for(stream.read(), 10)
        got = await asyncio.wait_for(stream.read(), 10)
        stream.cancel()
    assert accept.join_accept.app_s_key.kek_label == "foreign"
    assert got.uplink_message.frm_payload == encrypted
    assert got.uplink_message.app_s_key.kek_label == "foreign"


async def test_link_crud_and_rights(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app3", *ALL_APP)
    await harness.start()
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        stub = applicationserver_pb2_grpc.AsStub(channel)
        ids = identifiers_pb2.ApplicationIdentifiers(application_id="app3")
        try:
            await stub.GetLink(applicationserver_pb2.GetApplicationLinkRequest(application_ids=ids), metadata=auth())
            raise AssertionError("expected NOT_FOUND")
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND
        link = applicationserver_pb2.ApplicationLink()
        link.default_formatters.up_formatter = messages_pb2.FORMATTER_CAYENNELPP
        await stub.SetLink(
            applicationserver_pb2.SetApplicationLinkRequest(
                application_ids=ids, link=link, field_mask={"paths": ["default_formatters"]}
            ),
            metadata=auth(),
        )
        got = await stub.GetLink(applicationserver_pb2.GetApplicationLinkRequest(application_ids=ids), metadata=auth())
        assert got.default_formatters.up_formatter == messages_pb2.FORMATTER_CAYENNELPP
        try:
            await stub.GetLink(
                applicationserver_pb2.GetApplicationLinkRequest(application_ids=ids), metadata=auth("wrong")
            )
            raise AssertionError("expected PERMISSION_DENIED")
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        await stub.DeleteLink(ids, metadata=auth())
        await wait_until(lambda: not harness.peers.ns.linked_event("app3").is_set())
