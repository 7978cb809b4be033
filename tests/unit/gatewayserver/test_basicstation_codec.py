"""Basics Station LNS messages: EUI notations, frames rebuilt from updf/jreq, dnmsg and timesync."""

from __future__ import annotations

import json

import pytest

from gatewayserver.basicstation import codec
from gatewayserver.basicstation.downstream import dnmsg, router_config, timesync_answer
from lorastack.lorawan.frequencyplans import get_plan
from ttn.lorawan.v3 import lorawan_pb2

XTIME = 12666373963464220  # a station xtime: session 45 above a 48-bit microsecond counter


@pytest.mark.parametrize(
    ("text", "eui"),
    [
        ("b827:ebff:fe61:51e5", "B827EBFFFE6151E5"),
        ("::0", "0000000000000000"),
        ("::1", "0000000000000001"),
        ("1::", "0001000000000000"),
        ("1:2::3", "0001000200000003"),
        ("router-1:2:3:4", "0001000200030004"),
        ("B8-27-EB-FF-FE-61-51-E5", "B827EBFFFE6151E5"),
        ("b8:27:eb:ff:fe:61:51:e5", "B827EBFFFE6151E5"),
        ("B827EBFFFE6151E5", "B827EBFFFE6151E5"),
        (0xB827EBFFFE6151E5, "B827EBFFFE6151E5"),
    ],
)
def test_eui_notations(text: object, eui: str) -> None:
    assert codec.parse_eui(text).hex().upper() == eui


@pytest.mark.parametrize("text", ["1:2:3", "1::2::3", "12345::", "zz::", None, 1.5, -1, "1:2:3:4:5"])
def test_invalid_euis(text: object) -> None:
    with pytest.raises(codec.BsCodecError):
        codec.parse_eui(text)


def test_id6_formatting() -> None:
    assert codec.format_id6(bytes.fromhex("B827EBFFFE6151E5")) == "b827:ebff:fe61:51e5"
    assert codec.format_id6(bytes(8)) == "::0"
    assert codec.format_id6(bytes.fromhex("0001000000000000")) == "1::"
    assert codec.format_id6(bytes.fromhex("0000000100000002")) == "0:1:0:2"


def test_jreq_frame() -> None:
    message = codec.parse_message(
        '{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111",'
        '"DevNonce":18000,"MIC":12345678,"DR":1,"Freq":868300000,'
        '"upinfo":{"rxtime":1548059982,"rctx":0,"xtime":12666373963464220,"gpstime":0,"rssi":-89,"snr":9.25}}'
    )
    assert codec.uplink_frame(message) == bytes.fromhex("00" + "22" * 8 + "11" * 8 + "5046" + "4E61BC00")
    radio = codec.radio_info(message.body)
    assert (radio.data_rate, radio.frequency, radio.xtime, radio.rssi) == (1, 868_300_000, XTIME, -89)


def test_updf_frame() -> None:
    body = {
        "msgtype": "updf",
        "MHdr": 0x40,
        "DevAddr": 0x42FFFFFF,
        "FCtrl": 0xB0,
        "FCnt": 0xFF42,
        "FOpts": "feff",
        "FPort": 0x42,
        "FRMPayload": "feff",
        "MIC": 268435266,
    }
    expected = bytes.fromhex("40ffffff42b242fffeff42feff42ffff0f")
    assert codec.uplink_frame(codec.parse_message(json.dumps(body))) == expected
    # Without a port the frame carries neither FPort nor payload.
    body.update(FPort=-1, FRMPayload="", Fcnt=1, FOpts="")
    del body["FCnt"]
    assert codec.uplink_frame(codec.parse_message(json.dumps(body))) == bytes.fromhex(
        "40ffffff42b00100"
    ) + bytes.fromhex("42ffff0f")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "invalid_json"),
        ("[1]", "invalid_json"),
        ('{"no":"type"}', "missing_msgtype"),
    ],
)
def test_garbage(text: str, reason: str) -> None:
    with pytest.raises(codec.BsCodecError) as err:
        codec.parse_message(text)
    assert err.value.reason == reason


def test_updf_with_bad_fields() -> None:
    for body in (
        {"msgtype": "updf", "MHdr": 64},
        {"msgtype": "updf", "MHdr": 64, "DevAddr": 1, "FCtrl": 0, "FCnt": 1, "FOpts": "zz", "MIC": 0},
    ):
        with pytest.raises(codec.BsCodecError):
            codec.uplink_frame(codec.parse_message(json.dumps(body)))


def test_dnmsg_is_rx1_at_the_scheduled_time() -> None:
    settings = lorawan_pb2.TxSettings(
        data_rate=lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(spreading_factor=9, bandwidth=125_000)),
        frequency=869_525_000,
        concentrator_timestamp=5_000_000,
        downlink=lorawan_pb2.TxSettings.Downlink(antenna_index=1, tx_power=27),
    )
    message = dnmsg("EU_863_870", settings, b"\x60\x01", session=45, diid=7, now=1000.5)
    assert message == {
        "msgtype": "dnmsg",
        "DevEui": "00-00-00-00-00-00-00-00",
        "dC": 0,
        "diid": 7,
        "pdu": "6001",
        "RxDelay": 1,
        "RX1DR": 3,
        "RX1Freq": 869_525_000,
        "priority": 25,
        "xtime": (45 << 48) | 4_000_000,
        "rctx": 1,
        "MuxTime": 1000.5,
    }


def test_timesync_and_router_config() -> None:
    # 2026-01-01T00:00:00Z is 1451174418 GPS seconds (18 leap seconds).
    assert timesync_answer(12.5, 1_767_225_600.0)["gpstime"] == 1_451_260_818_000_000
    config = router_config(get_plan("EU_863_870"))
    assert config["msgtype"] == "router_config" and config["region"] == "EU863"
    assert config["DRs"][0] == [12, 125, 0] and config["NetID"] is None
