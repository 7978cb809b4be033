"""Payload formatters: JavaScript (modern and legacy functions) in a limited sandbox, and CayenneLPP."""

from __future__ import annotations

import time

import pytest
from google.protobuf import json_format

from applicationserver.formatters import FormatterError, JavaScriptEngine, PayloadFormatters, cayenne, effective
from ttn.lorawan.v3 import messages_pb2

JS = messages_pb2.FORMATTER_JAVASCRIPT
LPP = messages_pb2.FORMATTER_CAYENNELPP


@pytest.fixture
def formatters() -> PayloadFormatters:
    return PayloadFormatters(JavaScriptEngine(time_limit=0.1, memory_limit=8 * 1024 * 1024))


def _uplink(payload: bytes, port: int = 2) -> messages_pb2.ApplicationUplink:
    return messages_pb2.ApplicationUplink(f_port=port, frm_payload=payload)


def test_decode_uplink_modern(formatters: PayloadFormatters) -> None:
    script = (
        "function decodeUplink(i) { return {data: {sum: i.bytes[0] + i.bytes[1], port: i.fPort}, warnings: ['w']}; }"
    )
    up = _uplink(b"\x01\x02")
    assert formatters.decode_uplink(JS, script, up)
    assert json_format.MessageToDict(up.decoded_payload) == {"sum": 3.0, "port": 2.0}
    assert list(up.decoded_payload_warnings) == ["w"]


def test_decode_uplink_legacy_decoder(formatters: PayloadFormatters) -> None:
    up = _uplink(b"\x05")
    formatters.decode_uplink(JS, "function Decoder(bytes, port) { return {v: bytes[0] * port}; }", up)
    assert json_format.MessageToDict(up.decoded_payload) == {"v": 10.0}


def test_script_errors_fail_the_call(formatters: PayloadFormatters) -> None:
    with pytest.raises(FormatterError, match="bad input"):
        formatters.decode_uplink(JS, "function decodeUplink(i) { return {errors: ['bad input']}; }", _uplink(b"\x00"))
    with pytest.raises(FormatterError):
        formatters.decode_uplink(JS, "function decodeUplink(i) { throw new Error('boom'); }", _uplink(b"\x00"))
    with pytest.raises(FormatterError, match="compile"):
        formatters.decode_uplink(JS, "function (", _uplink(b"\x00"))
    with pytest.raises(FormatterError):
        formatters.decode_uplink(JS, "var x = 1;", _uplink(b"\x00"))


def test_endless_loop_is_stopped_by_the_time_limit(formatters: PayloadFormatters) -> None:
    started = time.perf_counter()
    with pytest.raises(FormatterError, match="interrupted"):
        formatters.decode_uplink(JS, "function decodeUplink(i) { while (true) {} }", _uplink(b"\x00"))
    assert time.perf_counter() - started < 1.0
    good = _uplink(b"\x07")
    formatters.decode_uplink(JS, "function decodeUplink(i) { return {data: {v: i.bytes[0]}}; }", good)
    assert json_format.MessageToDict(good.decoded_payload) == {"v": 7.0}


def test_memory_bomb_is_stopped_by_the_memory_limit(formatters: PayloadFormatters) -> None:
    bomb = "function decodeUplink(i) { var a = []; while (true) { a.push(new Array(100000).fill(i.fPort)); } }"
    for _ in range(3):  # and again: a fresh context each time, the limit still holds
        with pytest.raises(FormatterError, match="memory"):
            formatters.decode_uplink(JS, bomb, _uplink(b"\x00"))


def test_encode_and_decode_downlink(formatters: PayloadFormatters) -> None:
    script = (
        "function encodeDownlink(i) { return {bytes: [i.data.on ? 1 : 0], fPort: 4}; }"
        "function decodeDownlink(i) { return {data: {on: i.bytes[0] === 1}}; }"
    )
    down = messages_pb2.ApplicationDownlink()
    down.decoded_payload.update({"on": True})
    assert formatters.encode_downlink(JS, script, down)
    assert down.frm_payload == b"\x01" and down.f_port == 4
    back = messages_pb2.ApplicationDownlink(f_port=4, frm_payload=b"\x01")
    formatters.decode_downlink(JS, script, back)
    assert json_format.MessageToDict(back.decoded_payload) == {"on": True}
    legacy = messages_pb2.ApplicationDownlink(f_port=9)
    legacy.decoded_payload.update({"x": 3})
    formatters.encode_downlink(JS, "function Encoder(o, port) { return [o.x, port]; }", legacy)
    assert legacy.frm_payload == bytes([3, 9])
    with pytest.raises(FormatterError, match="bytes"):
        formatters.encode_downlink(JS, "function encodeDownlink(i) { return {bytes: [300]}; }", legacy)


# CayenneLPP examples from the format's reference documentation (Cayenne Low Power Payload).
LPP_VECTORS = [
    (bytes.fromhex("03670110056700FF"), {"temperature_3": 27.2, "temperature_5": 25.5}),
    (bytes.fromhex("0671045D FB2C 0000".replace(" ", "")), {"accelerometer_6": {"x": 1.117, "y": -1.236, "z": 0.0}}),
    (
        bytes.fromhex("018806765FF2960A0003E8"),
        {"gps_1": {"latitude": 42.3519, "longitude": -87.9094, "altitude": 10.0}},
    ),
]


@pytest.mark.parametrize(("payload", "decoded"), LPP_VECTORS)
def test_cayenne_vectors(payload: bytes, decoded: dict[str, object]) -> None:
    assert cayenne.decode(payload) == decoded
    assert cayenne.encode(decoded) == payload


def test_cayenne_through_formatters(formatters: PayloadFormatters) -> None:
    up = _uplink(bytes.fromhex("0167FFD7"))
    formatters.decode_uplink(LPP, "", up)
    assert json_format.MessageToDict(up.decoded_payload) == {"temperature_1": -4.1}
    with pytest.raises(FormatterError):
        formatters.decode_uplink(LPP, "", _uplink(b"\x01\x67\x00"))
    down = messages_pb2.ApplicationDownlink(f_port=1)
    down.decoded_payload.update({"value_2": -50.51})
    formatters.encode_downlink(LPP, "", down)
    assert down.frm_payload == bytes.fromhex("0203EC45")


def test_effective_prefers_the_device() -> None:
    app = messages_pb2.MessagePayloadFormatters(up_formatter=LPP, down_formatter=JS, down_formatter_parameter="x")
    dev = messages_pb2.MessagePayloadFormatters(up_formatter=JS, up_formatter_parameter="dev")
    assert effective(dev, app, uplink=True) == (JS, "dev")
    assert effective(dev, app, uplink=False) == (JS, "x")
    assert effective(None, None, uplink=True) == (messages_pb2.FORMATTER_NONE, "")
