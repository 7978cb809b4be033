"""A view of the device store for one batch of link messages: the devices read up front in one round trip,
writes passed through, so a batch costs one Redis read instead of one per message."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from applicationserver.store import DeviceStore, EndDevice

__all__ = ["PrefetchedDevices"]


class PrefetchedDevices:
    """Reads of one application's prefetched devices come from memory; anything else goes to ``store``."""

    def __init__(self, store: DeviceStore, app_key: str, devices: Mapping[str, EndDevice | None]) -> None:
        self._store = store
        self._app_key = app_key
        self._devices = dict(devices)

    async def get(self, app_key: str, dev_id: str) -> EndDevice | None:
        if app_key == self._app_key and dev_id in self._devices:
            found = self._devices[dev_id]
            # A copy, as the store would give: callers may change what they read.
            return None if found is None else EndDevice.FromString(found.SerializeToString())
        return await self._store.get(app_key, dev_id)

    async def get_many(self, app_key: str, dev_ids: list[str]) -> dict[str, EndDevice | None]:
        return {dev_id: await self.get(app_key, dev_id) for dev_id in dev_ids}

    async def update(
        self, app_key: str, dev_id: str, change: Callable[[EndDevice | None], EndDevice | None]
    ) -> EndDevice | None:
        updated = await self._store.update(app_key, dev_id, change)
        if app_key == self._app_key:
            # What the write left is what later messages of the batch must see.
            self._devices[dev_id] = updated
        return updated

    async def app_keys(self) -> list[str]:
        return await self._store.app_keys()
