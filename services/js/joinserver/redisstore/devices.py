"""End devices, their (JoinEUI, DevEUI) index and their session keys in Redis.

Every write is one WATCH/MULTI transaction over the device key and the index keys it touches, so
the index never points at a missing device and concurrent joins cannot both consume one DevNonce.
Session keys expire ``session_ttl`` seconds after they were issued or last read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import WatchError

from joinserver import errors
from joinserver.store import Change, Update
from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import end_device_pb2

__all__ = ["DEFAULT_SESSION_TTL", "RedisDeviceRegistry"]

_ATTEMPTS = 32
DEFAULT_SESSION_TTL = 30 * 24 * 3600.0


def _raw(value: bytes | str) -> bytes:
    # The pool never decodes responses; this narrows redis-py's declared union.
    return value if isinstance(value, bytes) else value.encode()


class RedisDeviceRegistry:
    """Keys: ``dev:<app>:<dev>`` (EndDevice), ``eui:<join>:<dev>`` -> ``<app>:<dev>``,
    ``deveui:<dev>`` (set of ``<app>:<dev>``, for rejoin-requests that carry no JoinEUI),
    ``skey:<dev eui>:<id>`` (session record), ``skeys:<app>:<dev>`` (set of its session keys)."""

    def __init__(self, client: Redis, prefix: str, *, session_ttl: float = DEFAULT_SESSION_TTL) -> None:
        self._redis = client
        self._keys = Keys(prefix)
        # Redis expiries are whole seconds; never let a short test TTL round down to "no expiry".
        self._session_ttl = max(1, math.ceil(session_ttl))

    def _device_key(self, application_id: str, device_id: str) -> str:
        return self._keys.of("dev", application_id, device_id)

    def _eui_key(self, join_eui: bytes, dev_eui: bytes) -> str:
        return self._keys.of("eui", join_eui.hex().upper(), dev_eui.hex().upper())

    def _dev_eui_key(self, dev_eui: bytes) -> str:
        return self._keys.of("deveui", dev_eui.hex().upper())

    def _session_key(self, dev_eui: bytes, session_key_id: bytes) -> str:
        return self._keys.of("skey", dev_eui.hex().upper(), session_key_id.hex().upper())

    def _sessions_key(self, application_id: str, device_id: str) -> str:
        return self._keys.of("skeys", application_id, device_id)

    async def get(self, application_id: str, device_id: str) -> end_device_pb2.EndDevice | None:
        raw = await self._redis.get(self._device_key(application_id, device_id))
        return None if raw is None else end_device_pb2.EndDevice.FromString(_raw(raw))

    async def get_by_eui(self, join_eui: bytes, dev_eui: bytes) -> end_device_pb2.EndDevice | None:
        ref = await self._redis.get(self._eui_key(join_eui, dev_eui))
        if ref is None:
            return None
        application_id, _, device_id = _raw(ref).decode().partition(":")
        return await self.get(application_id, device_id)

    async def get_by_dev_eui(self, dev_eui: bytes) -> list[end_device_pb2.EndDevice]:
        refs = sorted(_raw(m).decode() for m in await self._redis.smembers(self._dev_eui_key(dev_eui)))
        found = []
        for ref in refs:
            application_id, _, device_id = ref.partition(":")
            device = await self.get(application_id, device_id)
            if device is not None and device.ids.dev_eui == dev_eui:
                found.append(device)
        return found

    async def get_session(self, dev_eui: bytes, session_key_id: bytes) -> end_device_pb2.EndDevice | None:
        # Reading a session counts as using it: the lifetime restarts.
        raw = await self._redis.getex(self._session_key(dev_eui, session_key_id), ex=self._session_ttl)
        return None if raw is None else end_device_pb2.EndDevice.FromString(_raw(raw))

    async def update(self, application_id: str, device_id: str, fn: Update) -> Change:
        device_key = self._device_key(application_id, device_id)
        sessions_key = self._sessions_key(application_id, device_id)
        for _ in range(_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(device_key, sessions_key)
                    raw = await pipe.get(device_key)
                    current = None if raw is None else end_device_pb2.EndDevice.FromString(_raw(raw))
                    change = fn(current)
                    old_eui = self._index_of(current)
                    new_eui = self._index_of(change.device)
                    if new_eui is not None and new_eui != old_eui:
                        await pipe.watch(new_eui)
                        owner = await pipe.get(new_eui)
                        if owner is not None and _raw(owner).decode() != f"{application_id}:{device_id}":
                            assert change.device is not None
                            ids = change.device.ids
                            raise errors.eui_taken(
                                join_eui=ids.join_eui.hex().upper(), dev_eui=ids.dev_eui.hex().upper()
                            )
                    stale_sessions: list[bytes] = []
                    if change.device is None:
                        stale_sessions = [_raw(m) for m in await pipe.smembers(sessions_key)]
                    elif change.session is not None:
                        stale_sessions = await self._expired_sessions(sessions_key)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    if change.device is None:
                        pipe.delete(device_key, sessions_key, *stale_sessions)
                    else:
                        pipe.set(device_key, change.device.SerializeToString())
                        if stale_sessions:
                            pipe.srem(sessions_key, *stale_sessions)
                    ref = f"{application_id}:{device_id}"
                    if old_eui is not None and old_eui != new_eui:
                        assert current is not None
                        pipe.delete(old_eui)
                        pipe.srem(self._dev_eui_key(current.ids.dev_eui), ref)
                    if new_eui is not None:
                        assert change.device is not None
                        pipe.set(new_eui, ref)
                        pipe.sadd(self._dev_eui_key(change.device.ids.dev_eui), ref)
                    if change.session is not None:
                        key = self._session_key(change.session.dev_eui, change.session.session_key_id)
                        pipe.set(key, change.session.record.SerializeToString(), ex=self._session_ttl)
                        pipe.sadd(sessions_key, key)
                    await pipe.execute()
                    return change
                except WatchError:
                    continue
        raise errors.registry_busy(device=f"{application_id}/{device_id}")

    async def create_many(self, devices: Sequence[end_device_pb2.EndDevice]) -> None:
        # One transaction over every device key and EUI index key, so a concurrent Set or join can
        # neither slip in between the checks and the writes nor see half of the batch.
        if not devices:
            return
        device_keys = [self._device_key(d.ids.application_ids.application_id, d.ids.device_id) for d in devices]
        eui_keys = [self._eui_key(d.ids.join_eui, d.ids.dev_eui) for d in devices]
        for _ in range(_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(*device_keys, *eui_keys)
                    present = await pipe.mget(device_keys)
                    owners = await pipe.mget(eui_keys)
                    for device, found, owner in zip(devices, present, owners, strict=True):
                        ids = device.ids
                        if found is not None:
                            raise errors.device_exists(device=f"{ids.application_ids.application_id}/{ids.device_id}")
                        if owner is not None:
                            raise errors.eui_taken(
                                join_eui=ids.join_eui.hex().upper(), dev_eui=ids.dev_eui.hex().upper()
                            )
                    pipe.multi()  # type: ignore[no-untyped-call]
                    for device, device_key, eui_key in zip(devices, device_keys, eui_keys, strict=True):
                        ref = f"{device.ids.application_ids.application_id}:{device.ids.device_id}"
                        pipe.set(device_key, device.SerializeToString())
                        pipe.set(eui_key, ref)
                        pipe.sadd(self._dev_eui_key(device.ids.dev_eui), ref)
                    await pipe.execute()
                    return
                except WatchError:
                    continue
        raise errors.registry_busy(device=f"{devices[0].ids.application_ids.application_id}/*")

    async def _expired_sessions(self, sessions_key: str) -> list[bytes]:
        """Members of a device's session set whose keys Redis has expired (one round trip)."""
        members = [_raw(m) for m in await self._redis.smembers(sessions_key)]
        if not members:
            return []
        async with self._redis.pipeline(transaction=False) as check:
            for member in members:
                check.exists(member)
            alive = await check.execute()
        return [member for member, count in zip(members, alive, strict=True) if not count]

    def _index_of(self, device: end_device_pb2.EndDevice | None) -> str | None:
        if device is None or not device.ids.join_eui or not device.ids.dev_eui:
            return None
        return self._eui_key(device.ids.join_eui, device.ids.dev_eui)
