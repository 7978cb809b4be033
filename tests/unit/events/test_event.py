"""Events as ttn.lorawan.v3.Event: unique IDs, construction, and the bytes on NATS."""

from datetime import UTC, datetime

import pytest
from google.protobuf import timestamp_pb2

from lorastack.events import DecodeError, decode, define, encode, end_device, gateway, new_event, new_unique_id
from ttn.lorawan.v3 import events_pb2, identifiers_pb2, rights_pb2

UP_PROCESS = define(
    "ns.up.data.process",
    visibility=[rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ, rights_pb2.RIGHT_GATEWAY_TRAFFIC_READ],
)


def test_unique_ids_are_ulids_sorted_by_time() -> None:
    first, second = new_unique_id(now_ms=1_000), new_unique_id(now_ms=2_000)
    assert len(first) == 26 and first < second
    assert new_unique_id() != new_unique_id()
    assert set(new_unique_id()) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    # 48-bit time 0 gives ten leading zeros.
    assert new_unique_id(now_ms=0).startswith("0" * 10)


def test_new_event_fills_every_field() -> None:
    dev_ids = identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev",
        application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app"),
        dev_eui=bytes.fromhex("0004A30B001C0530"),
    )
    when = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
    event = new_event(
        UP_PROCESS,
        identifiers=[dev_ids, gateway("gw")],
        origin="host-1",
        time=when,
        data=timestamp_pb2.Timestamp(seconds=42),
        correlation_ids=["gs:uplink:01ABC", "ns:uplink:01DEF"],
        context={"tenant": b"\x00\xff"},
        authentication=events_pb2.Event.Authentication(type="bearer", token_type="api_key", token_id="K"),
        remote_ip="192.0.2.1",
        user_agent="test/1",
    )
    assert event.name == "ns.up.data.process"
    assert event.time.ToDatetime(tzinfo=UTC) == when
    # The device's EUI survives: the event carries the caller's identifiers, not a summary.
    assert event.identifiers[0].device_ids.dev_eui == bytes.fromhex("0004A30B001C0530")
    assert event.identifiers[1].gateway_ids.gateway_id == "gw"
    unpacked = timestamp_pb2.Timestamp()
    assert event.data.Unpack(unpacked) and unpacked.seconds == 42
    assert list(event.visibility.rights) == [
        rights_pb2.RIGHT_APPLICATION_TRAFFIC_READ,
        rights_pb2.RIGHT_GATEWAY_TRAFFIC_READ,
    ]
    assert event.authentication.token_type == "api_key"
    assert dict(event.context) == {"tenant": b"\x00\xff"}
    assert (event.origin, event.remote_ip, event.user_agent) == ("host-1", "192.0.2.1", "test/1")
    assert len(event.unique_id) == 26
    assert decode(encode(event)) == event


def test_minimal_event_has_no_data_or_visibility() -> None:
    event = new_event(
        define("js.join.accept"),
        identifiers=[end_device("a", "d")],
        origin="o",
        time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert not event.HasField("data") and not event.HasField("visibility")
    assert decode(encode(event)) == event


@pytest.mark.parametrize("payload", [b"", b"\xff\xff\xff", encode(events_pb2.Event(name="a.b"))])
def test_garbage_is_a_decode_error(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(payload)
