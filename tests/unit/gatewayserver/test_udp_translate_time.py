"""The uplink path stamps protobuf Timestamps from datetimes exactly as ``Timestamp.FromDatetime`` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2

from gatewayserver.udp.translate import GPS_EPOCH, _stamp


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC),
        GPS_EPOCH + timedelta(milliseconds=1_417_000_000_123),
        datetime(2026, 1, 1, 1, 2, 3, 999999),  # naive: UTC
        datetime(1960, 5, 5, 1, 1, 1, 5, tzinfo=UTC),  # before the Unix epoch
        datetime(2026, 3, 3, 3, 3, 3, 7, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_stamp_matches_from_datetime(value: datetime) -> None:
    expected, got = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    _stamp(got, value)
    assert got == expected
