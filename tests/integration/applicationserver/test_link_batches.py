"""A burst on the application link is handled in batches: a join-accept and the uplinks after it in one batch
still see the new session, every message lands in the uplink stream in order, and each gets its Empty."""

from __future__ import annotations

import asyncio

from applicationserver.redisstore import RedisDeviceStore, RedisLinkStore, RedisUpStream
from integration.applicationserver.harness import ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, join_accept, uplink, wait_until
from lorastack.storage import redis as lsredis
from lorastack.storage.redis import Keys
from ttn.lorawan.v3.applicationserver_pb2 import ApplicationLink


async def test_a_burst_is_stored_in_order_and_acknowledged(harness: ASHarness) -> None:
    harness.peers.identity.grant(TOKEN, "app1", *ALL_APP)
    for key_id in (b"sk-1", b"sk-2"):
        harness.peers.js.keys[key_id] = APP_S_KEY
    burst = [join_accept("app1", "dev1", b"sk-1"), join_accept("app1", "dev2", b"sk-2")]
    for f_cnt in range(1, 6):
        burst.append(uplink("app1", "dev1", b"sk-1", f_cnt, bytes([f_cnt])))
        burst.append(uplink("app1", "dev2", b"sk-2", f_cnt, bytes([0x80 | f_cnt])))
    burst.append(uplink("app1", "nobody", b"sk-9", 1, b"\x00"))  # dropped: no such device
    ns = harness.peers.ns
    for up in burst:
        ns.queue("app1").put_nowait(up)  # all waiting before the link opens: they arrive back to back
    redis = lsredis.connect(harness.config.redis_url)
    try:
        await RedisLinkStore(redis, Keys(harness.config.redis_prefix)).set("app1", ApplicationLink())
        await harness.start()
        await asyncio.wait_for(ns.linked_event("app1").wait(), 10)
        await wait_until(lambda: ns.acks.get("app1", 0) == len(burst))
        stream = RedisUpStream(redis, Keys(harness.config.redis_prefix))
        stored = await stream.read_after("0-0", count=100, block_ms=100)
        kinds = [(up.end_device_ids.device_id, up.WhichOneof("up")) for _id, _key, up in stored]
        assert kinds[:2] == [("dev1", "join_accept"), ("dev2", "join_accept")]
        payloads = [
            (up.end_device_ids.device_id, up.uplink_message.f_cnt, up.uplink_message.frm_payload)
            for _id, _key, up in stored[2:]
        ]
        expected = [
            (dev, f, bytes([f | (0x80 if dev == "dev2" else 0)])) for f in range(1, 6) for dev in ("dev1", "dev2")
        ]
        assert payloads == expected

        devices = RedisDeviceStore(redis, Keys(harness.config.redis_prefix))
        found = await devices.get_many("app1", ["dev2", "nobody", "dev1"])
        assert list(found) == ["dev2", "nobody", "dev1"] and found["nobody"] is None
        assert found["dev1"] is not None and found["dev1"].session.keys.session_key_id == b"sk-1"
        assert await devices.get_many("app1", []) == {}
    finally:
        await redis.aclose()
