"""LoRa Basics Station LNS over real WebSockets: discovery, auth, router_config, uplinks, dnmsg, dntxed, garbage."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from integration.gatewayserver.harness import EUI, USER_KEY, Harness
from integration.gatewayserver.test_udp_downlink import SF7, SF9
from ttn.lorawan.v3 import gatewayserver_pb2_grpc, lorawan_pb2, messages_pb2

SESSION = 45
XTIME = (SESSION << 48) | 8_000_000
JREQ = {
    "msgtype": "jreq",
    "MHdr": 0,
    "JoinEui": "2222:2222:2222:2222",
    "DevEui": "1111:1111:1111:1111",
    "DevNonce": 18000,
    "MIC": 12345678,
    "DR": 5,
    "Freq": 868_100_000,
    "upinfo": {"rctx": 0, "xtime": XTIME, "gpstime": 0, "rssi": -57, "snr": 9.25, "rxtime": 1_764_400_000.0},
}


def base(gs: Harness) -> str:
    return f"ws://127.0.0.1:{gs.gs.lns_port}"


async def receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    async with asyncio.timeout(5):
        data: dict[str, Any] = json.loads(await ws.receive_str())
        return data


async def test_discovery(gs: Harness) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{base(gs)}/router-info") as ws:
            await ws.send_str('{"router":"aa55:5a00:0:101"}')
            assert await receive_json(ws) == {
                "router": "aa55:5a00:0:101",
                "muxs": "muxs-::0",
                "uri": f"{base(gs)}/traffic/AA555A0000000101",
            }
        async with http.ws_connect(f"{base(gs)}/router-info") as ws:
            await ws.send_str('{"router":"1:2:3:4"}')
            assert await receive_json(ws) == {"router": "1:2:3:4", "error": "router not provisioned"}
        async with http.ws_connect(f"{base(gs)}/router-info") as ws:
            await ws.send_str("garbage")
            assert "error" in await receive_json(ws)


async def test_traffic_needs_a_key_with_link_rights(gs: Harness) -> None:
    async with aiohttp.ClientSession() as http:
        for headers, status in (({}, 401), ({"Authorization": "Bearer NNSXS.NOBODY.X"}, 403)):
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(f"{base(gs)}/traffic/AA555A0000000101", headers=headers)
            assert err.value.status == status
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{base(gs)}/traffic/0102030405060708", headers={"Authorization": USER_KEY})
        assert err.value.status == 404


async def test_station_session(gs: Harness) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{base(gs)}/traffic/AA555A0000000101", headers={"Authorization": USER_KEY}) as ws,
    ):
        await ws.send_str(
            '{"msgtype":"version","station":"2.0.6","firmware":"1.0","package":"p","model":"m","protocol":2}'
        )
        config = await receive_json(ws)
        assert config["msgtype"] == "router_config" and config["region"] == "EU863" and config["DRs"][5] == [7, 125, 0]

        await ws.send_str(json.dumps(JREQ))
        uplink = await gs.fake_ns.next_uplink()
        assert uplink.raw_payload == bytes.fromhex("00" + "22" * 8 + "11" * 8 + "5046" + "4E61BC00")
        (md,) = uplink.rx_metadata
        assert md.gateway_ids.eui == EUI and md.timestamp == XTIME & 0xFFFFFFFF and md.rssi == -57
        assert uplink.settings.data_rate.lora.spreading_factor == 7 and uplink.settings.frequency == 868_100_000

        request = lorawan_pb2.TxRequest(
            downlink_paths=[lorawan_pb2.DownlinkPath(uplink_token=md.uplink_token)],
            rx1_delay=5,  # type: ignore[arg-type]
            rx1_frequency=868_100_000,
            rx1_data_rate=SF7,
            rx2_frequency=869_525_000,
            rx2_data_rate=SF9,
        )
        response = await gatewayserver_pb2_grpc.NsGsStub(gs.channel).ScheduleDownlink(
            messages_pb2.DownlinkMessage(raw_payload=b"\x20\x01\x02", request=request), metadata=gs.cluster_md
        )
        assert response.rx1
        down = await receive_json(ws)
        assert down["msgtype"] == "dnmsg" and down["pdu"] == "200102"
        # RX1 is 5 s after the uplink; the station adds RxDelay (1 s) to xtime itself.
        assert down["xtime"] == (SESSION << 48) | (8_000_000 + 4_000_000)
        assert (down["RxDelay"], down["RX1DR"], down["RX1Freq"], down["rctx"]) == (1, 5, 868_100_000, 0)

        await ws.send_str(
            json.dumps({"msgtype": "dntxed", "diid": down["diid"], "DevEui": "::0", "rctx": 0, "xtime": down["xtime"]})
        )
        await ws.send_str('{"msgtype":"timesync","txtime":1234.5}')
        answer = await receive_json(ws)
        assert answer["msgtype"] == "timesync" and answer["txtime"] == 1234.5 and isinstance(answer["gpstime"], int)
        await gs.metric_reaches(1, "tx_acknowledgments_total", protocol="ws", result="SUCCESS")


async def test_websocket_garbage_is_counted_and_survived(gs: Harness) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{base(gs)}/traffic/eui-AA555A0000000101", headers={"Authorization": f"Bearer {USER_KEY}"}
        ) as ws,
    ):
        await ws.send_bytes(b"\x00\x01\x02")
        await ws.send_str("{{{{")
        await ws.send_str('{"msgtype":"no-such-thing"}')
        await ws.send_str('{"msgtype":"updf","MHdr":64}')
        await ws.send_str('{"msgtype":"jreq","DR":99,"Freq":1,"upinfo":{"xtime":1}}')
        await ws.send_str('{"msgtype":"timesync","txtime":1.0}')
        assert (await receive_json(ws))["txtime"] == 1.0
    assert gs.metric("messages_dropped_total", protocol="ws", reason="not_text") == 1
    assert gs.metric("messages_dropped_total", protocol="ws", reason="invalid_json") == 1
    assert gs.metric("messages_dropped_total", protocol="ws", reason="unknown_msgtype") == 1
    assert gs.metric("messages_dropped_total", protocol="ws", reason="invalid_field") >= 1
