"""Tests of the TTS-style JSON codec and scalar rules, without a server."""

from __future__ import annotations

import math
from types import ModuleType

import pytest
from google.protobuf import any_pb2, duration_pb2, struct_pb2, wrappers_pb2

from lorastack.httpapi import HEX_BYTES_FIELDS, CodecError, from_json, to_json
from lorastack.httpapi.metadata import request_metadata, response_headers


def test_hex_field_names_follow_tts() -> None:
    assert {"dev_eui", "join_eui", "dev_addr", "net_id", "key", "dev_nonce", "join_nonce", "eui"} <= HEX_BYTES_FIELDS
    assert not {"session_key_id", "encrypted_key", "frm_payload", "mic"} & HEX_BYTES_FIELDS


def test_bytes_hex_versus_base64(pb: ModuleType) -> None:
    session = pb.Session(
        dev_addr=b"\x26\x00\xab\xcd",
        app_s_key=pb.KeyEnvelope(key=bytes(range(16)), encrypted_key=b"\xff\xfe"),
        session_key_id=b"\x01\x02",
    )
    encoded = to_json(session)
    assert encoded == {
        "dev_addr": "2600ABCD",
        "app_s_key": {"key": "000102030405060708090A0B0C0D0E0F", "encrypted_key": "//4="},
        "session_key_id": "AQI=",
    }
    assert from_json(pb.Session, encoded) == session
    # Hex fields also take base64 when the text is not hex.
    assert from_json(pb.Session, {"dev_addr": "JgCrzQ=="}).dev_addr == b"\x26\x00\xab\xcd"
    assert from_json(pb.Session, {"session_key_id": "AQI"}).session_key_id == b"\x01\x02"


def test_zero_values_omitted_and_int64_strings(pb: ModuleType) -> None:
    assert to_json(pb.Device()) == {}
    assert to_json(pb.Device(counter=-3, big=2**64 - 1, small=7)) == {
        "counter": "-3",
        "small": 7,
        "big": "18446744073709551615",
    }
    assert from_json(pb.Device, {"counter": -3, "big": "18446744073709551615", "small": "7"}).small == 7


def test_floats_enums_wrappers_and_maps(pb: ModuleType) -> None:
    device = pb.Device(ratio=math.inf, color=pb.RED, enabled=wrappers_pb2.BoolValue(value=False))
    device.colors.append(99)
    assert to_json(device) == {"ratio": "Infinity", "color": "RED", "enabled": False, "colors": [99]}
    assert math.isnan(from_json(pb.Device, {"ratio": "NaN"}).ratio)
    assert from_json(pb.Device, {"attributes": {"a": "b"}}).attributes == {"a": "b"}
    assert from_json(pb.Device, {"color": 2}).color == pb.GREEN
    # JSON names are accepted on input as grpc-gateway does.
    assert from_json(pb.Device, {"createdAt": "2024-01-01T00:00:00Z"}).created_at.seconds == 1704067200
    assert from_json(pb.Device, {"name": None}) == pb.Device()


def test_struct_any_and_field_mask(pb: ModuleType) -> None:
    extra = struct_pb2.Struct()
    extra.update({"a": 1, "b": [True, None]})
    packed = any_pb2.Any()
    packed.Pack(pb.Key(name="k"))
    device = pb.Device(extra=extra, annotation=packed)
    device.mask.paths.extend(["a", "b.c"])
    encoded = to_json(device)
    assert encoded == {
        "extra": {"a": 1.0, "b": [True, None]},
        "annotation": {"@type": "type.googleapis.com/lorastack.test.v1.Key", "name": "k"},
        "mask": {"paths": ["a", "b.c"]},
    }
    assert from_json(pb.Device, encoded) == device
    unknown = any_pb2.Any(type_url="type.googleapis.com/x.Y", value=b"\x01")
    assert to_json(unknown) == {"@type": "type.googleapis.com/x.Y", "value": "AQ=="}
    assert to_json(duration_pb2.Duration(seconds=1, nanos=500_000_000)) == "1.500s"


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"nope": 1}, "nope"),
        ({"ids": {"dev_eui": 5}}, "ids.dev_eui"),
        ({"small": -1}, "small"),
        ({"small": True}, "small"),
        ({"name": 3}, "name"),
        ({"tags": [1]}, "tags[0]"),
        ({"attributes": []}, "attributes"),
        ({"timeout": "1 hour"}, "timeout"),
        ({"mask": 5}, "mask"),
        ({"annotation": {"@type": "type.googleapis.com/x.Y"}}, "annotation"),
    ],
)
def test_decode_errors_name_the_field(pb: ModuleType, document: object, path: str) -> None:
    with pytest.raises(CodecError) as info:
        from_json(pb.Device, document)
    assert info.value.path == path


def test_request_metadata_and_response_headers() -> None:
    headers = {
        "Grpc-Metadata-Authorization": "Bearer a",
        "Grpc-Metadata-Grpc-Timeout": "1S",
        "Grpc-Metadata-Bad Key": "x",
        "Grpc-Metadata-Tenant": "t1",
    }
    assert request_metadata(headers, None) == [("authorization", "Bearer a"), ("tenant", "t1")]
    assert response_headers((("x-total-count", "3"), ("trace-bin", b"\x00"), ("grpc-x", "1"), ("k", "v"))) == {
        "X-Total-Count": "3",
        "Grpc-Metadata-k": "v",
    }
