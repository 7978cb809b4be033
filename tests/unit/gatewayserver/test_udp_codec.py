"""Semtech UDP codec against the packets of PROTOCOL.TXT (Lora-net/packet_forwarder, protocol v2)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from gatewayserver.udp import codec

EUI = bytes.fromhex("AA555A0000000101")

# Section 4 of PROTOCOL.TXT, the rxpk example, whitespace removed.
RXPK_EXAMPLE = (
    b'{"rxpk":[{"time":"2013-03-31T16:21:17.528002Z","tmst":3512348611,"chan":2,"rfch":0,"freq":866.349812,'
    b'"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/6","rssi":-35,"lsnr":5.1,"size":32,'
    b'"data":"-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84"},{"time":"2013-03-31T16:21:17.530974Z",'
    b'"tmst":3512348514,"chan":9,"rfch":1,"freq":869.1,"stat":1,"modu":"FSK","datr":50000,"rssi":-75,'
    b'"size":16,"data":"VEVTVF9QQUNLRVRfMTIzNA=="},{"time":"2013-03-31T16:21:17.532038Z","tmst":3316387610,'
    b'"chan":0,"rfch":0,"freq":863.00981,"stat":1,"modu":"LORA","datr":"SF10BW125","codr":"4/7","rssi":-38,'
    b'"lsnr":5.5,"size":32,"data":"ysgRl452xNLep9S1NTIg2lomKDxUgn3DJ7DE+b00Ass"}]}'
)
STAT_EXAMPLE = (
    b'{"stat":{"time":"2014-01-12 08:59:28 GMT","lati":46.24000,"long":3.25230,"alti":145,"rxnb":2,"rxok":2,'
    b'"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2}}'
)


def test_push_data_header_and_push_ack_bytes() -> None:
    datagram = codec.decode(b"\x02\x3a\xf1\x00" + EUI + STAT_EXAMPLE)
    assert (datagram.version, datagram.token, datagram.type, datagram.eui) == (
        2,
        b"\x3a\xf1",
        codec.PacketType.PUSH_DATA,
        EUI,
    )
    assert codec.ack_for(datagram) == b"\x02\x3a\xf1\x01"


def test_pull_data_gets_pull_ack_and_tx_ack_gets_nothing() -> None:
    pull = codec.decode(b"\x02\x12\x34\x02" + EUI)
    assert codec.ack_for(pull) == b"\x02\x12\x34\x04"
    tx_ack = codec.decode(b"\x02\x12\x35\x05" + EUI)
    assert codec.ack_for(tx_ack) is None
    assert codec.parse_tx_ack(tx_ack.payload) == "NONE"


def test_version_1_is_answered_in_version_1() -> None:
    assert codec.ack_for(codec.decode(b"\x01\x00\x07\x02" + EUI)) == b"\x01\x00\x07\x04"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too_short"),
        (b"\x02\x00", "too_short"),
        (b"\x03\x00\x00\x00" + EUI, "unsupported_version"),
        (b"\x02\x00\x00\x09" + EUI, "unknown_type"),
        (b"\x02\x00\x00\x01", "unexpected_type"),  # a PUSH_ACK sent to the server
        (b"\x02\x00\x00\x00\xaa\x55", "too_short"),
    ],
)
def test_malformed_datagrams(data: bytes, reason: str) -> None:
    with pytest.raises(codec.CodecError) as err:
        codec.decode(data)
    assert err.value.reason == reason


def test_rxpk_example() -> None:
    push = codec.parse_push_data(RXPK_EXAMPLE)
    # The document's first packet carries '-' characters, which are not base64: it is rejected alone.
    assert push.rejected == ("invalid_field",)
    fsk, lora = push.rxpk
    assert fsk.modulation == "FSK" and fsk.bit_rate == 50000 and fsk.frequency == 869_100_000
    assert fsk.data == b"TEST_PACKET_1234"
    assert fsk.time == datetime(2013, 3, 31, 16, 21, 17, 530974, tzinfo=UTC)
    assert (lora.spreading_factor, lora.bandwidth, lora.coding_rate) == (10, 125_000, "4/7")
    assert lora.frequency == 863_009_810 and lora.tmst == 3316387610 and lora.crc_status == 1
    assert lora.rssi == -38 and lora.snr == 5.5 and lora.channel == 0 and len(lora.data) == 32


def test_stat_example() -> None:
    push = codec.parse_push_data(STAT_EXAMPLE)
    assert push.rxpk == () and push.stat is not None
    assert push.stat.time == datetime(2014, 1, 12, 8, 59, 28, tzinfo=UTC)
    assert (push.stat.latitude, push.stat.longitude, push.stat.altitude) == (46.24, 3.2523, 145)
    assert push.stat.counters["ackr"] == 100.0 and push.stat.counters["txnb"] == 2


def test_rxpk_with_antennas_fine_timestamps_and_crc_failure() -> None:
    payload = json.dumps(
        {
            "rxpk": [
                {
                    "tmst": 1000,
                    "tmms": 1_300_000_000_000,
                    "freq": 868.1,
                    "stat": -1,
                    "modu": "LORA",
                    "datr": "SF12BW125",
                    "codr": "4/5",
                    "rssi": -100,
                    "lsnr": -7.5,
                    "size": 3,
                    "data": "AQID",
                    "rsig": [
                        {"ant": 0, "chan": 1, "rssic": -101, "rssis": -104, "lsnr": -7.5, "ftime": 123456789},
                        {"ant": 1, "chan": 1, "rssic": -97, "lsnr": -3.0, "etime": "AAECAwQFBgcICQoLDA0ODw=="},
                    ],
                }
            ]
        }
    ).encode()
    (rx,) = codec.parse_push_data(payload).rxpk
    assert rx.crc_status == -1 and rx.gps_time_ms == 1_300_000_000_000
    first, second = rx.rsig
    assert (first.antenna, first.rssi_channel, first.rssi_signal, first.fine_timestamp) == (0, -101, -104, 123456789)
    assert second.antenna == 1 and second.encrypted_fine_timestamp == bytes(range(16))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1,2]", b'{"rxpk":7}', b'{"stat":"x"}', b"\xff\xfe", b"{" * 5000 + b"}" * 5000],
)
def test_invalid_json_is_a_codec_error(payload: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.parse_push_data(payload)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"", "NONE"),
        (b"\x00", "NONE"),
        (b'{"txpk_ack":{"error":"NONE"}}', "NONE"),
        (b'{"txpk_ack":{"error":"TOO_LATE"}}', "TOO_LATE"),
        (b'{"txpk_ack":{"error":"COLLISION_PACKET"}}', "COLLISION_PACKET"),
        (b'{"txpk_ack":{"error":"GPS_UNLOCKED"}}', "GPS_UNLOCKED"),
        (b'{"txpk_ack":{"warn":"TX_POWER","value":14}}', "NONE"),
        (b'{"txpk_ack":{"error":"SOMETHING_NEW"}}', "UNKNOWN"),
    ],
)
def test_tx_ack_errors(payload: bytes, error: str) -> None:
    assert codec.parse_tx_ack(payload) == error


def test_pull_resp_bytes() -> None:
    txpk = codec.TxPacket(
        frequency=869_525_000,
        power=27,
        data=b"\x60\x04\x03\x02\x01",
        tmst=1_000_000,
        spreading_factor=9,
        bandwidth=125_000,
        coding_rate="4/5",
    )
    data = codec.encode_pull_resp(2, b"\xbe\xef", txpk)
    assert data[:4] == b"\x02\xbe\xef\x03"
    expected = (
        '{"txpk":{"tmst":1000000,"freq":869.525,"rfch":0,"powe":27,"modu":"LORA","datr":"SF9BW125",'
        '"codr":"4/5","ipol":true,"size":5,"ncrc":true,"data":"' + base64.b64encode(txpk.data).decode() + '"}}'
    )
    assert data[4:].decode() == expected


def test_pull_resp_fsk_immediate() -> None:
    txpk = codec.TxPacket(frequency=868_800_000, power=14, data=b"\x01", immediate=True, bit_rate=50000)
    body = json.loads(codec.encode_pull_resp(2, b"\x00\x01", txpk)[4:])
    assert body == {
        "txpk": {
            "imme": True,
            "freq": 868.8,
            "rfch": 0,
            "powe": 14,
            "modu": "FSK",
            "datr": 50000,
            "fdev": 25000,
            "size": 1,
            "ncrc": True,
            "data": "AQ==",
        }
    }
