"""EventBus.publish without a server: subjects remembered per identifiers, the event's bytes, failures."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry

from lorastack.events import EventBus, decode, define, end_device, gateway
from ttn.lorawan.v3 import identifiers_pb2, rights_pb2

UP = define("as.up.data.forward", visibility=[rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ])


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, subject: str, payload: bytes) -> None:
        self.sent.append((subject, payload))


def _bus(recorder: _Recorder) -> EventBus:
    return EventBus(recorder, subject_prefix="t.events", origin="host/as", registry=CollectorRegistry())  # type: ignore[arg-type]


def _device(dev_id: str) -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id=dev_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app")
    )


async def test_subjects_follow_the_identifiers_of_each_publish() -> None:
    recorder = _Recorder()
    bus = _bus(recorder)
    for dev_id in ("dev-1", "dev-2", "dev-1"):
        await bus.publish(UP, identifiers=[_device(dev_id)])
    await bus.publish(UP, identifiers=[end_device("app", "dev-1"), gateway("gw-1")], tenant_id="acme")
    assert [subject for subject, _ in recorder.sent] == [
        "t.events.default.app.app.dev-1.as.up.data.forward",
        "t.events.default.app.app.dev-2.as.up.data.forward",
        "t.events.default.app.app.dev-1.as.up.data.forward",
        "t.events.acme.app.app.dev-1.as.up.data.forward",
        "t.events.acme.gtw.gw-1._.as.up.data.forward",
    ]


async def test_the_published_bytes_are_the_event() -> None:
    recorder = _Recorder()
    before = time.time_ns()
    event = await _bus(recorder).publish(
        UP, identifiers=[_device("dev-1")], data=_device("dev-1"), correlation_ids=["c1"]
    )
    after = time.time_ns()
    assert event is not None
    sent = decode(recorder.sent[0][1])
    assert sent == event
    assert before <= sent.time.ToNanoseconds() <= after
    assert list(sent.visibility.rights) == [rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ]
    assert sent.origin == "host/as" and list(sent.correlation_ids) == ["c1"]
    unpacked = identifiers_pb2.EndDeviceIdentifiers()
    assert sent.data.Unpack(unpacked) and unpacked.device_id == "dev-1"
    assert sent.identifiers[0].device_ids.device_id == "dev-1"


async def test_invalid_identifiers_fail_every_time_without_raising() -> None:
    recorder = _Recorder()
    bus = _bus(recorder)
    assert await bus.publish(UP, identifiers=[_device("Not_Valid")]) is None
    assert await bus.publish(UP, identifiers=[_device("Not_Valid")]) is None
    assert await bus.publish(UP, identifiers=[]) is None
    assert recorder.sent == []
    assert bus.metrics.publish_errors.labels(UP.name)._value.get() >= 3
