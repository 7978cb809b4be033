"""AppAs downlinks over REST (push, replace, list), counters that follow the NS, downlink notifications
decrypted for the application, the message processors, and device deletion."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import grpc

from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import (
    ALL_APP,
    APP_S_KEY,
    DECODER,
    TOKEN,
    auth,
    decrypt_down,
    device_ids,
    join_accept,
    uplink,
    wait_until,
)
from ttn.lorawan.v3 import (
    applicationserver_pb2_grpc,
    identifiers_pb2,
    message_services_pb2,
    message_services_pb2_grpc,
    messages_pb2,
)


async def test_rest_downlinks_and_notifications(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app-d", *ALL_APP)
    harness.peers.js.keys[b"sk-d"] = APP_S_KEY
    await harness.start()
    base = f"{harness.base_url}/as/applications/app-d"
    ns = harness.peers.ns
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        link = {"default_formatters": {"down_formatter": "FORMATTER_JAVASCRIPT", "down_formatter_parameter": DECODER}}
        assert (await http.put(f"{base}/link", json={"link": link})).status == 200
        await asyncio.wait_for(ns.linked_event("app-d").wait(), 10)
        ns.queue("app-d").put_nowait(join_accept("app-d", "dev1", b"sk-d"))
        up = uplink("app-d", "dev1", b"sk-d", 1, b"\x00")
        up.uplink_message.last_a_f_cnt_down = 4  # the NS already used AFCntDown 4
        ns.queue("app-d").put_nowait(up)
        await wait_until(lambda: ns.acks.get("app-d", 0) == 2)

        resp = await http.post(
            f"{base}/devices/dev1/down/push",
            json={
                "downlinks": [
                    {"f_port": 3, "frm_payload": base64.b64encode(b"abc").decode()},
                    {"decoded_payload": {"level": 2}},
                ]
            },
        )
        assert resp.status == 200, await resp.text()
        pushed = list(ns.pushed[0].downlinks)
        assert [d.f_cnt for d in pushed] == [5, 6]
        assert decrypt_down(5, pushed[0].frm_payload) == b"abc"
        assert pushed[1].f_port == 7 and decrypt_down(6, pushed[1].frm_payload) == b"\x02"
        assert not pushed[1].HasField("decoded_payload")

        listed = await (await http.get(f"{base}/devices/dev1/down")).json()
        assert [base64.b64decode(d["frm_payload"]) for d in listed["downlinks"]] == [b"abc", b"\x02"]

        resp = await http.post(
            f"{base}/devices/dev1/down/replace", json={"downlinks": [{"f_port": 2, "frm_payload": "AQ=="}]}
        )
        assert resp.status == 200
        assert ns.replaced[0].downlinks[0].f_cnt == 7

        resp = await http.post(f"{base}/devices/nobody/down/push", json={"downlinks": [{"f_port": 2}]})
        assert resp.status == 404
        resp = await http.post(
            f"{base}/devices/dev1/down/push", json={"downlinks": [{"f_port": 0, "frm_payload": "AQ=="}]}
        )
        assert resp.status == 400

    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
            identifiers_pb2.ApplicationIdentifiers(application_id="app-d"), metadata=auth()
        )
        await asyncio.sleep(0.3)
        sent = messages_pb2.ApplicationUp(end_device_ids=device_ids("app-d", "dev1"))
        sent.downlink_sent.CopyFrom(pushed[1])
        ns.queue("app-d").put_nowait(sent)
        got = await asyncio.wait_for(stream.read(), 10)
        stream.cancel()
        assert got.downlink_sent.frm_payload == b"\x02"
        assert dict(got.downlink_sent.decoded_payload) == {"level": 2.0}

        processed = await message_services_pb2_grpc.UplinkMessageProcessorStub(channel).Process(
            message_services_pb2.ProcessUplinkMessageRequest(
                ids=device_ids("app-d", "dev1"),
                message=messages_pb2.ApplicationUplink(f_port=1, frm_payload=b"\x00\x64"),
                parameter=DECODER,
            ),
            metadata=auth(),
        )
        assert dict(processed.decoded_payload) == {"temperature": 10.0, "port": 1.0}
        try:
            await message_services_pb2_grpc.UplinkMessageProcessorStub(channel).Process(
                message_services_pb2.ProcessUplinkMessageRequest(
                    ids=device_ids("app-d", "dev1"), message=messages_pb2.ApplicationUplink(f_port=1), parameter="x("
                ),
                metadata=auth(),
            )
            raise AssertionError("expected INVALID_ARGUMENT")
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert (await http.delete(f"{base}/devices/dev1")).status == 200
        assert (await http.get(f"{base}/devices/dev1")).status == 404


async def test_invalidated_queue_is_encrypted_again_and_replaced(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app-i", *ALL_APP)
    harness.peers.js.keys[b"sk-i"] = APP_S_KEY
    await harness.start()
    ns = harness.peers.ns
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert (await http.put(f"{harness.base_url}/as/applications/app-i/link", json={"link": {}})).status == 200
    await asyncio.wait_for(ns.linked_event("app-i").wait(), 10)
    ns.queue("app-i").put_nowait(join_accept("app-i", "dev1", b"sk-i"))
    await wait_until(lambda: ns.acks.get("app-i", 0) == 1)
    old = messages_pb2.ApplicationDownlink(f_port=5, f_cnt=1, session_key_id=b"sk-i")
    old.frm_payload = decrypt_down(1, b"hello")  # as the AS encrypted it for AFCntDown 1
    invalidated = messages_pb2.ApplicationUp(end_device_ids=device_ids("app-i", "dev1"))
    invalidated.downlink_queue_invalidated.downlinks.append(old)
    invalidated.downlink_queue_invalidated.last_f_cnt_down = 10
    invalidated.downlink_queue_invalidated.session_key_id = b"sk-i"
    ns.queue("app-i").put_nowait(invalidated)
    await wait_until(lambda: len(ns.replaced) == 1)
    again = ns.replaced[0].downlinks[0]
    assert again.f_cnt == 11 and again.f_port == 5
    assert decrypt_down(11, again.frm_payload) == b"hello"
