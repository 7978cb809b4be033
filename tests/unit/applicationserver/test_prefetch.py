"""PrefetchedDevices: reads of prefetched devices from memory (as copies), writes through the store and seen
by later reads of the same batch, anything else asked from the store."""

from __future__ import annotations

from collections.abc import Callable

from applicationserver.prefetch import PrefetchedDevices
from ttn.lorawan.v3 import end_device_pb2

EndDevice = end_device_pb2.EndDevice


class _Store:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], EndDevice] = {}
        self.reads: list[tuple[str, str]] = []

    async def get(self, app_key: str, dev_id: str) -> EndDevice | None:
        self.reads.append((app_key, dev_id))
        found = self.records.get((app_key, dev_id))
        return None if found is None else EndDevice.FromString(found.SerializeToString())

    async def get_many(self, app_key: str, dev_ids: list[str]) -> dict[str, EndDevice | None]:
        return {dev_id: await self.get(app_key, dev_id) for dev_id in dev_ids}

    async def update(
        self, app_key: str, dev_id: str, change: Callable[[EndDevice | None], EndDevice | None]
    ) -> EndDevice | None:
        updated = change(await self.get(app_key, dev_id))
        if updated is None:
            self.records.pop((app_key, dev_id), None)
        else:
            self.records[(app_key, dev_id)] = updated
        return updated

    async def app_keys(self) -> list[str]:
        return sorted({app for app, _ in self.records})


def _device(dev_id: str, f_cnt: int) -> EndDevice:
    device = EndDevice()
    device.ids.device_id = dev_id
    device.session.last_a_f_cnt_down = f_cnt
    return device


async def test_prefetched_reads_are_copies_and_cost_no_store_read() -> None:
    store = _Store()
    view = PrefetchedDevices(store, "app", {"dev1": _device("dev1", 3), "gone": None})  # type: ignore[arg-type]
    first = await view.get("app", "dev1")
    assert first is not None and first.session.last_a_f_cnt_down == 3
    first.session.last_a_f_cnt_down = 99
    again = await view.get("app", "dev1")
    assert again is not None and again.session.last_a_f_cnt_down == 3
    assert await view.get("app", "gone") is None
    assert store.reads == []


async def test_writes_go_through_and_later_reads_see_them() -> None:
    store = _Store()
    view = PrefetchedDevices(store, "app", {"dev1": None})  # type: ignore[arg-type]
    written = await view.update("app", "dev1", lambda _current: _device("dev1", 7))
    assert written is not None and store.records[("app", "dev1")].session.last_a_f_cnt_down == 7
    seen = await view.get("app", "dev1")
    assert seen is not None and seen.session.last_a_f_cnt_down == 7
    await view.update("app", "dev1", lambda _current: None)
    assert await view.get("app", "dev1") is None


async def test_what_was_not_prefetched_comes_from_the_store() -> None:
    store = _Store()
    store.records[("app", "dev2")] = _device("dev2", 1)
    store.records[("other", "dev1")] = _device("dev1", 2)
    view = PrefetchedDevices(store, "app", {"dev1": None})  # type: ignore[arg-type]
    assert (await view.get("app", "dev2")) is not None
    other = await view.get("other", "dev1")
    assert other is not None and other.session.last_a_f_cnt_down == 2
    assert store.reads == [("app", "dev2"), ("other", "dev1")]
    many = await view.get_many("app", ["dev1", "dev2"])
    assert many["dev1"] is None and many["dev2"] is not None
    assert await view.app_keys() == ["app", "other"]
