"""Helpers of the Join Server integration tests: seed devices, snapshot Redis, read back events."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import grpc
import nats
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from redis.asyncio import Redis

from joinserver.config import JoinServerConfig
from joinserver.keyvault import KeyVault
from joinserver.redisstore import RedisDeviceRegistry
from joinserver.store import Change
from lorastack.component import Component
from lorastack.events import Event, decode
from lorastack.rpc.auth import PEER_ROLE_KEY
from ttn.lorawan.v3 import end_device_pb2

CLUSTER_KEY = bytes(range(16))
AT_REST_KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
# Test KEKs: all-zero keys, as in brocaar/lorawan backend/joinserver/joinserver_test.go.
KEKS = (("ns-kek", bytes(16)), ("as-kek", bytes(16)))


@dataclass
class RunningJS:
    component: Component
    config: JoinServerConfig
    redis: Redis
    registry: RedisDeviceRegistry
    vault: KeyVault
    channel: grpc.aio.Channel

    @property
    def cluster_metadata(self) -> tuple[tuple[str, str], ...]:
        """What the Network Server sends."""
        return self.peer_metadata("ns")

    def peer_metadata(self, role: str) -> tuple[tuple[str, str], ...]:
        """The cluster key and the role a peer declares."""
        return (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"), (PEER_ROLE_KEY, role))

    async def put_device(self, device: end_device_pb2.EndDevice) -> None:
        """Seed a device, sealing plain root keys as the registry does."""
        stored = end_device_pb2.EndDevice()
        stored.CopyFrom(device)
        for name in ("app_key", "nwk_key"):
            envelope = getattr(device.root_keys, name)
            if envelope.key:
                getattr(stored.root_keys, name).CopyFrom(self.vault.seal(envelope.key))
        ids = device.ids
        await self.registry.update(ids.application_ids.application_id, ids.device_id, lambda _: Change(stored))

    async def snapshot(self) -> dict[bytes, bytes]:
        """Every key under the test's prefix with its value, to show that nothing changed."""
        out: dict[bytes, bytes] = {}
        async for key in self.redis.scan_iter(match=f"{self.config.redis_prefix}:*"):
            kind = await self.redis.type(key)
            if kind == b"string":
                out[key] = await self.redis.get(key) or b""
            else:
                out[key] = b",".join(sorted(await self.redis.smembers(key)))
        return out


def make_device(
    app_id: str, dev_id: str, join_eui: str, dev_eui: str, *, app_key: str = "", nwk_key: str = "", **fields: Any
) -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(**fields)
    device.ids.application_ids.application_id = app_id
    device.ids.device_id = dev_id
    device.ids.join_eui = bytes.fromhex(join_eui)
    device.ids.dev_eui = bytes.fromhex(dev_eui)
    if app_key:
        device.root_keys.app_key.key = bytes.fromhex(app_key)
    if nwk_key:
        device.root_keys.nwk_key.key = bytes.fromhex(nwk_key)
    return device


StartJS = Callable[..., Coroutine[Any, Any, RunningJS]]


async def recent_events(running: RunningJS, count: int) -> list[Event]:
    """The last ``count`` events published on the test's stream (history replay)."""
    records: list[Event] = []
    client = await nats.connect(running.config.nats_url)
    try:
        js = client.jetstream()
        sub = await js.pull_subscribe(f"{running.config.events_subject_prefix}.>", stream=running.config.events_stream)
        try:
            while True:
                msgs = await sub.fetch(50, timeout=0.5)
                records.extend(decode(m.data) for m in msgs)
        except (TimeoutError, nats.errors.TimeoutError):
            pass
    finally:
        await client.close()
    return records[-count:] if count else records


def cmac4(key: bytes, data: bytes) -> bytes:
    """The first four bytes of AES-CMAC, computed with ``cryptography`` rather than the server's code."""
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:4]


def ecb(key: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    """AES-ECB; a server "encrypts" a join-accept with the decrypt direction so devices need only encrypt."""
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def signed_join_request(key: bytes, join_eui: bytes, dev_eui: bytes, dev_nonce: int) -> bytes:
    """A join-request as a device builds it (EUIs and DevNonce little-endian on air)."""
    body = b"\x00" + join_eui[::-1] + dev_eui[::-1] + dev_nonce.to_bytes(2, "little")
    return body + cmac4(key, body)
