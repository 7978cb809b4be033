"""End devices, their (JoinEUI, DevEUI) index and their session keys in Redis.

Every write is one WATCH/MULTI transaction over the device key and the index keys it touches, so
the index never points at a missing device and concurrent joins cannot both consume one DevNonce.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import WatchError

from joinserver import errors
from joinserver.store import Change, Update
from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import end_device_pb2

__all__ = ["RedisDeviceRegistry"]

_ATTEMPTS = 32


def _raw(value: bytes | str) -> bytes:
    # The pool never decodes responses; this narrows redis-py's declared union.
    return value if isinstance(value, bytes) else value.encode()


class RedisDeviceRegistry:
    """Keys: ``dev:<app>:<dev>`` (EndDevice), ``eui:<join>:<dev>`` -> ``<app>:<dev>``,
    ``skey:<dev eui>:<id>`` (session record), ``skeys:<app>:<dev>`` (set of its session keys)."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._redis = client
        self._keys = Keys(prefix)

    def _device_key(self, application_id: str, device_id: str) -> str:
        return self._keys.of("dev", application_id, device_id)

    def _eui_key(self, join_eui: bytes, dev_eui: bytes) -> str:
        return self._keys.of("eui", join_eui.hex().upper(), dev_eui.hex().upper())

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

    async def get_session(self, dev_eui: bytes, session_key_id: bytes) -> end_device_pb2.EndDevice | None:
        raw = await self._redis.get(self._session_key(dev_eui, session_key_id))
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
                    pipe.multi()  # type: ignore[no-untyped-call]
                    if change.device is None:
                        pipe.delete(device_key, sessions_key, *stale_sessions)
                    else:
                        pipe.set(device_key, change.device.SerializeToString())
                    if old_eui is not None and old_eui != new_eui:
                        pipe.delete(old_eui)
                    if new_eui is not None:
                        pipe.set(new_eui, f"{application_id}:{device_id}")
                    if change.session is not None:
                        key = self._session_key(change.session.dev_eui, change.session.session_key_id)
                        pipe.set(key, change.session.record.SerializeToString())
                        pipe.sadd(sessions_key, key)
                    await pipe.execute()
                    return change
                except WatchError:
                    continue
        raise errors.registry_busy(device=f"{application_id}/{device_id}")

    def _index_of(self, device: end_device_pb2.EndDevice | None) -> str | None:
        if device is None or not device.ids.join_eui or not device.ids.dev_eui:
            return None
        return self._eui_key(device.ids.join_eui, device.ids.dev_eui)
