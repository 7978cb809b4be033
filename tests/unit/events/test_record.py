"""Event records: unique IDs and the compact wire encoding."""

from datetime import UTC, datetime

import pytest
from google.protobuf import any_pb2, timestamp_pb2
from lorastack.events import (
    Authentication,
    DecodeError,
    EventRecord,
    decode,
    encode,
    end_device,
    gateway,
    new_unique_id,
)


def test_unique_ids_are_ulids_sorted_by_time() -> None:
    first, second = new_unique_id(now_ms=1_000), new_unique_id(now_ms=2_000)
    assert len(first) == 26 and first < second
    assert new_unique_id() != new_unique_id()
    assert set(new_unique_id()) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    # 48-bit time 0 gives ten leading zeros.
    assert new_unique_id(now_ms=0).startswith("0" * 10)


def test_round_trip_keeps_every_field() -> None:
    data = any_pb2.Any()
    data.Pack(timestamp_pb2.Timestamp(seconds=42))
    record = EventRecord(
        name="ns.up.data.process",
        time=datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC),
        identifiers=(end_device("app", "dev"), gateway("gw")),
        unique_id=new_unique_id(),
        origin="host-1",
        tenant_id="default",
        data=data,
        correlation_ids=("gs:uplink:01ABC", "ns:uplink:01DEF"),
        context={"tenant": b"\x00\xff"},
        visibility=(24, 35),
        authentication=Authentication("bearer", "api_key", "KEYID"),
        remote_ip="192.0.2.1",
        user_agent="test/1",
    )
    assert decode(encode(record)) == record


def test_minimal_record_round_trips() -> None:
    record = EventRecord(
        name="gs.up.receive",
        time=datetime(2026, 1, 1, tzinfo=UTC),
        identifiers=(gateway("gw"),),
        unique_id="X",
        origin="o",
        tenant_id="t",
    )
    assert decode(encode(record)) == record
    assert len(encode(record)) < 120


@pytest.mark.parametrize("payload", [b"", b"{}", b"[1]", b"not json", b'{"n":"a.b","t":"x"}'])
def test_garbage_is_a_decode_error(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(payload)
