"""Semtech UDP over real sockets: acknowledgments byte for byte, uplinks to the NS, robustness."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json

from gatewayserver.uplinktoken import decode_token
from integration.gatewayserver.harness import EUI, OTHER_EUI, Harness, running

# PROTOCOL.TXT section 4 (Lora-net/packet_forwarder): the rxpk example with its FSK and SF10 packets.
RXPK = (
    b'{"rxpk":[{"time":"2013-03-31T16:21:17.530974Z","tmst":3512348514,"chan":9,"rfch":1,"freq":869.1,"stat":1,'
    b'"modu":"FSK","datr":50000,"rssi":-75,"size":16,"data":"VEVTVF9QQUNLRVRfMTIzNA=="},'
    b'{"time":"2013-03-31T16:21:17.532038Z","tmst":3316387610,"chan":0,"rfch":0,"freq":863.00981,"stat":1,'
    b'"modu":"LORA","datr":"SF10BW125","codr":"4/7","rssi":-38,"lsnr":5.5,"size":32,'
    b'"data":"ysgRl452xNLep9S1NTIg2lomKDxUgn3DJ7DE+b00Ass"}]}'
)
STAT = (
    b'{"stat":{"time":"2014-01-12 08:59:28 GMT","lati":46.24000,"long":3.25230,"alti":145,"rxnb":2,"rxok":2,'
    b'"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2}}'
)


def push_data(token: bytes, payload: bytes, eui: bytes = EUI) -> bytes:
    return b"\x02" + token + b"\x00" + eui + payload


def join_request(tmst: int, *, ants: int = 1) -> bytes:
    rsig = [{"ant": a, "chan": 2, "rssic": -60 - a, "lsnr": 7.0, "ftime": 1000 + a} for a in range(ants)]
    rx = {
        "tmst": tmst,
        "time": "2026-11-29T10:00:00.000001Z",
        "chan": 2,
        "rfch": 0,
        "freq": 868.5,
        "stat": 1,
        "modu": "LORA",
        "datr": "SF7BW125",
        "codr": "4/5",
        "rssi": -60,
        "lsnr": 7.0,
        "size": 23,
        "data": "AAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBE=",
        "rsig": rsig,
    }
    return json.dumps({"rxpk": [rx]}).encode()


async def test_push_data_is_acked_and_forwarded(gs: Harness) -> None:
    gateway = await gs.gateway()
    gateway.send(push_data(b"\x3a\xf1", RXPK))
    assert await gateway.receive() == b"\x02\x3a\xf1\x01"
    first, second = await gs.fake_ns.next_uplink(), await gs.fake_ns.next_uplink()
    by_payload = {m.raw_payload[:4]: m for m in (first, second)}
    fsk = by_payload[b"TEST"]
    assert fsk.settings.data_rate.fsk.bit_rate == 50000 and fsk.settings.frequency == 869_100_000
    (md,) = fsk.rx_metadata
    assert md.gateway_ids.gateway_id == "gtw-one" and md.gateway_ids.eui == EUI
    assert md.timestamp == 3512348514 and md.rssi == -75 and md.channel_index == 9
    token = decode_token(md.uplink_token)
    assert (token.gateway_id, token.timestamp) == ("gtw-one", 3512348514)
    lora = next(m for m in (first, second) if m is not fsk)
    assert lora.settings.data_rate.lora.spreading_factor == 10 and lora.crc_status.value is True
    assert lora.correlation_ids and lora.correlation_ids[0].startswith("gs:uplink:")
    assert gs.fake_ns.authorizations[0] == f"ClusterKey {bytes(range(16)).hex()}"


async def test_several_antennas_give_several_rx_metadata(gs: Harness) -> None:
    gateway = await gs.gateway()
    gateway.send(push_data(b"\x00\x01", join_request(1000, ants=2)))
    assert await gateway.receive() == b"\x02\x00\x01\x01"
    uplink = await gs.fake_ns.next_uplink()
    assert [(m.antenna_index, m.rssi, m.fine_timestamp) for m in uplink.rx_metadata] == [
        (0, -60.0, 1000),
        (1, -61.0, 1001),
    ]
    assert decode_token(uplink.rx_metadata[1].uplink_token).antenna_index == 1


async def test_pull_data_is_acked_and_stat_counts(gs: Harness) -> None:
    gateway = await gs.gateway()
    gateway.send(b"\x02\xab\xcd\x02" + EUI)
    assert await gateway.receive() == b"\x02\xab\xcd\x04"
    gateway.send(push_data(b"\x00\x02", STAT))
    assert await gateway.receive() == b"\x02\x00\x02\x01"
    await asyncio.sleep(0.1)
    assert gs.metric("statuses_received_total", protocol="udp") == 1


async def test_unknown_gateway_is_dropped_and_counted(gs: Harness) -> None:
    gateway = await gs.gateway()
    for token in (b"\x00\x01", b"\x00\x02"):
        gateway.send(push_data(token, RXPK, eui=OTHER_EUI))
    await gateway.nothing()
    assert gs.metric("messages_dropped_total", protocol="udp", reason="unknown_gateway") == 2
    assert gs.fake_is.eui_lookups == 1  # the negative answer is cached
    assert gs.fake_ns.uplinks.empty()


async def test_crc_failures_are_not_forwarded(gs: Harness) -> None:
    gateway = await gs.gateway()
    bad = join_request(5).replace(b'"stat": 1', b'"stat": -1')
    gateway.send(push_data(b"\x00\x03", bad))
    assert await gateway.receive() == b"\x02\x00\x03\x01"
    gateway.send(push_data(b"\x00\x04", join_request(6)))
    await gs.fake_ns.next_uplink()
    assert gs.fake_ns.uplinks.empty()
    assert gs.metric("uplinks_dropped_total", reason="crc_failed") == 1


async def test_net_id_filter() -> None:
    async with running(gs_forward_net_ids=("000013",), gs_forward_dev_addr_prefixes=()) as gs:
        gateway = await gs.gateway()
        # PROTOCOL.TXT's FSK packet is a data uplink of DevAddr 0x5F545345, not a TTN (NetID 000013) address.
        gateway.send(push_data(b"\x00\x05", RXPK))
        assert await gateway.receive() == b"\x02\x00\x05\x01"
        uplink = await gs.fake_ns.next_uplink()
        assert uplink.raw_payload[0] >> 5 == 6  # the rejoin-request goes through
        await asyncio.sleep(0.2)
        assert gs.fake_ns.uplinks.empty()
        assert gs.metric("uplinks_dropped_total", reason="foreign_dev_addr") == 1


async def test_network_server_unavailable_is_retried(gs: Harness) -> None:
    gs.fake_ns.fail_next = 2
    gateway = await gs.gateway()
    gateway.send(push_data(b"\x00\x06", join_request(7)))
    await gs.fake_ns.next_uplink()
    assert len(gs.fake_ns.authorizations) == 3
    await gs.metric_reaches(1, "uplinks_forwarded_total")


def data_uplinks(frames: list[tuple[bytes, int]]) -> bytes:
    """One PUSH_DATA body with an unconfirmed data uplink per (DevAddr, FCnt)."""
    rxpk = []
    for index, (dev_addr, f_cnt) in enumerate(frames):
        frame = b"\x40" + dev_addr[::-1] + b"\x00" + f_cnt.to_bytes(2, "little") + b"\x01\xaa" + b"\x00" * 4
        rxpk.append(
            {"tmst": 1000 + index, "chan": 2, "rfch": 0, "freq": 868.5, "stat": 1, "modu": "LORA",
             "datr": "SF7BW125", "codr": "4/5", "rssi": -60, "lsnr": 7.0, "size": len(frame),
             "data": base64.b64encode(frame).decode()}
        )  # fmt: skip
    return json.dumps({"rxpk": rxpk}).encode()


async def test_retries_keep_each_devices_uplinks_in_order(gs: Harness) -> None:
    # While the NS refuses (a restart), every frame is retried; a device's later frame must not overtake
    # an earlier one, or the NS would drop the earlier FCnt as a replay.
    devices = [bytes.fromhex(f"2601000{n}") for n in range(4)]
    frames = [(dev_addr, f_cnt) for f_cnt in range(5) for dev_addr in devices]
    gs.fake_ns.fail_next = len(frames)
    gateway = await gs.gateway()
    gateway.send(push_data(b"\x00\x0a", data_uplinks(frames)))
    received: dict[bytes, list[int]] = {d: [] for d in devices}
    for _ in frames:
        raw = (await gs.fake_ns.next_uplink(timeout=10)).raw_payload
        received[raw[1:5][::-1]].append(int.from_bytes(raw[6:8], "little"))
    assert received == {d: list(range(5)) for d in devices}


async def test_garbage_never_stops_the_listener(gs: Harness) -> None:
    gateway = await gs.gateway()
    garbage = [
        b"",
        b"\x02",
        b"\xff\x00\x00\x00" + EUI,
        b"\x02\x00\x00\x09" + EUI,
        b"\x02\x00\x00\x04" + EUI,
        push_data(b"\x00\x07", b"{not json"),
        push_data(b"\x00\x08", b'{"rxpk":"nope"}'),
        push_data(b"\x00\x09", b'{"rxpk":[{"tmst":"x"}]}'),
        bytes(range(256)) * 4,
    ]
    for datagram in garbage:
        gateway.send(datagram)
    # The header-valid PUSH_DATA are still acknowledged (the gateway did send them), nothing else is answered.
    assert sorted([await gateway.receive() for _ in range(3)]) == [
        b"\x02\x00\x07\x01",
        b"\x02\x00\x08\x01",
        b"\x02\x00\x09\x01",
    ]
    await gateway.nothing()
    gateway.send(push_data(b"\x00\x0a", join_request(8)))
    assert await gateway.receive() == b"\x02\x00\x0a\x01"
    await gs.fake_ns.next_uplink()
    assert gs.metric("messages_dropped_total", protocol="udp", reason="invalid_json") == 1
    assert gs.metric("messages_dropped_total", protocol="udp", reason="unknown_type") == 1


async def test_a_flooding_gateway_does_not_starve_another() -> None:
    async with running(gs_udp_queue_size=64) as gs:
        gs.fake_is.add("gtw-two", OTHER_EUI)
        flooder, quiet = await gs.gateway(), await gs.gateway()

        async def flood(rounds: int) -> None:
            for burst in range(rounds):
                for index in range(100):
                    flooder.send(b"\x02" + ((burst * 100 + index) % 65536).to_bytes(2, "big") + b"\x02" + EUI)
                await asyncio.sleep(0.001)

        await flood(10)
        # Like a packet forwarder, the quiet gateway repeats its PULL_DATA until one is acknowledged.
        answer = None
        for attempt in range(5):
            quiet.send(b"\x02\x77" + bytes([attempt]) + b"\x02" + OTHER_EUI)
            await flood(3)
            with contextlib.suppress(TimeoutError):
                answer = await quiet.receive(timeout=1)
                break
        assert answer is not None and answer[:2] == b"\x02\x77" and answer[3] == 0x04
        dropped = gs.metric("messages_dropped_total", protocol="udp", reason="rate_limited") + gs.metric(
            "messages_dropped_total", protocol="udp", reason="queue_full"
        )
        assert dropped > 0
