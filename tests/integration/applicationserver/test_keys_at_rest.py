"""AppSKeys at rest: whether they come from the JS, from the NS or from a registry call, Redis holds them only
wrapped with the AS's device KEK (RFC 3394), and no log line carries them."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import aiohttp
import grpc
import pytest

from integration.applicationserver.harness import DEVICE_KEK, DEVICE_KEK_LABEL, ASHarness
from integration.applicationserver.helpers import ALL_APP, APP_S_KEY, TOKEN, auth, join_accept, uplink
from lorastack.lorawan.keywrap import unwrap_key
from lorastack.storage import redis as lsredis
from ttn.lorawan.v3 import applicationserver_pb2_grpc, end_device_pb2, identifiers_pb2, keys_pb2

OTHER_KEY = bytes.fromhex("0A1B2C3D4E5F60718293A4B5C6D7E8F9")


def _forms(key: bytes) -> list[bytes]:
    """The ways a key could show up in a stored value or a log line."""
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key)]


async def _all_values(url: str, prefix: str) -> dict[str, list[bytes]]:
    redis: Any = lsredis.connect(url)
    out: dict[str, list[bytes]] = {}
    try:
        async for raw_key in redis.scan_iter(match=f"{prefix}:*"):
            name = raw_key.decode()
            kind = (await redis.type(raw_key)).decode()
            if kind == "string":
                out[name] = [await redis.get(raw_key)]
            elif kind == "hash":
                out[name] = list((await redis.hgetall(raw_key)).values())
            elif kind == "set":
                out[name] = list(await redis.smembers(raw_key))
            elif kind == "stream":
                out[name] = [v for _id, fields in await redis.xrange(raw_key) for v in fields.values()]
    finally:
        await redis.aclose()
    return out


def _device_get(dev_id: str) -> end_device_pb2.GetEndDeviceRequest:
    return end_device_pb2.GetEndDeviceRequest(
        end_device_ids=identifiers_pb2.EndDeviceIdentifiers(
            device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-k")
        ),
        field_mask={"paths": ["session.keys.app_s_key"]},
    )


async def test_app_s_keys_are_wrapped_in_redis_and_never_logged(
    harness: ASHarness, unique_name: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.peers.identity.grant(TOKEN, "app-k", *ALL_APP)
    harness.peers.js.keys[b"sk-js"] = APP_S_KEY  # handed out wrapped with the JS's KEK
    await harness.start()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        resp = await http.put(f"{harness.base_url}/as/applications/app-k/link", json={"link": {}})
        assert resp.status == 200, await resp.text()
        # A session set through the registry, key in the clear on the wire.
        body = {
            "end_device": {
                "ids": {"device_id": "dev3", "application_ids": {"application_id": "app-k"}},
                "session": {"keys": {"session_key_id": "c2stcmVn", "app_s_key": {"key": OTHER_KEY.hex().upper()}}},
            },
            "field_mask": {"paths": ["session.keys.session_key_id", "session.keys.app_s_key"]},
        }
        resp = await http.put(f"{harness.base_url}/as/applications/app-k/devices/dev3", json=body)
        assert resp.status == 200, await resp.text()
        assert "app_s_key" not in str(await resp.json())

    ns = harness.peers.ns
    await asyncio.wait_for(ns.linked_event("app-k").wait(), 10)
    async with grpc.aio.insecure_channel(harness.grpc_target) as channel:
        stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
            identifiers_pb2.ApplicationIdentifiers(application_id="app-k"), metadata=auth()
        )
        await asyncio.sleep(0.3)
        ns.queue("app-k").put_nowait(join_accept("app-k", "dev1", b"sk-js"))
        from_ns = join_accept("app-k", "dev2", b"sk-ns")
        from_ns.join_accept.app_s_key.CopyFrom(keys_pb2.KeyEnvelope(key=OTHER_KEY))  # the NS sent the key along
        ns.queue("app-k").put_nowait(from_ns)
        ns.queue("app-k").put_nowait(uplink("app-k", "dev1", b"sk-js", 4, b"\x42"))
        ups = [await asyncio.wait_for(stream.read(), 10) for _ in range(3)]
        stream.cancel()
        assert [u.WhichOneof("up") for u in ups] == ["join_accept", "join_accept", "uplink_message"]
        assert not any(u.join_accept.HasField("app_s_key") for u in ups[:2])
        assert ups[2].uplink_message.frm_payload == b"\x42"  # decrypted with the key unwrapped from storage

        registry = applicationserver_pb2_grpc.AsEndDeviceRegistryStub(channel)
        for dev_id, key in (("dev1", APP_S_KEY), ("dev2", OTHER_KEY), ("dev3", OTHER_KEY)):
            device = await registry.Get(_device_get(dev_id), metadata=auth())
            assert device.session.keys.app_s_key.key == key, dev_id

    values = await _all_values(harness.config.redis_url, unique_name)
    devices = {name: v for name, v in values.items() if ":dev:" in name}
    assert len(devices) == 3
    for name, (raw,) in devices.items():
        stored = end_device_pb2.EndDevice.FromString(raw)
        envelope = stored.session.keys.app_s_key
        assert envelope.kek_label == DEVICE_KEK_LABEL and not envelope.key, name
        assert unwrap_key(DEVICE_KEK, envelope.encrypted_key) in (APP_S_KEY, OTHER_KEY)
    everything = b"\n".join(v for vs in values.values() for v in vs)
    for form in (*_forms(APP_S_KEY), *_forms(OTHER_KEY)):
        assert form not in everything

    logged = (capsys.readouterr().out + caplog.text).encode()
    assert b"applicationserver" in logged  # the logs were captured at all
    for form in (*_forms(APP_S_KEY), *_forms(OTHER_KEY)):
        assert form not in logged
