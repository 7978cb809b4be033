"""LoRaWAN 1.1 rejoin-requests through GsNs.HandleUplink against the real Redis and NATS, with a stand-in
JS: the type 0/2 MIC and RJcount0 checked by the NS, type 1 left to the JS, the rejoin-accept in the
join-accept windows, the pending session announced to the AS and taken by the device's next uplink."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC
from google.protobuf import field_mask_pb2

from integration.networkserver.frames import uplink_message
from integration.networkserver.nsharness import (
    CLUSTER_MD,
    USER_MD,
    Peers,
    event_names,
    fake_peers,
    new_tag,
    ns_config,
    read_link,
    running_ns,
)
from lorastack.component import Component
from lorastack.lorawan import (
    FHDR,
    MHDR,
    AES128Key,
    DevAddr,
    FCtrl,
    MACPayload,
    MType,
    PHYPayload,
    data_uplink_mic_1_1,
)
from networkserver.config import NetworkServerConfig
from ttn.lorawan.v3 import (
    end_device_pb2,
    identifiers_pb2,
    join_pb2,
    keys_pb2,
    lorawan_pb2,
    messages_pb2,
    networkserver_pb2_grpc,
)

H = bytes.fromhex
APP = "app-rejoin"
JOIN_EUI = H("70B3D57ED0000002")
DEV_EUI = H("0004A30B001C0777")
NET_ID = H("000013")
# EU868 868.1 MHz at SF7BW125: channel 0, DR5; a 1.1 uplink MIC covers both.
TX_DR, TX_CH = 5, 0


def _cmac4(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:4]


def _keys(generation: int) -> tuple[bytes, bytes, bytes]:
    """FNwkSIntKey, SNwkSIntKey, NwkSEncKey the stand-in JS hands out for its ``generation``-th answer."""
    return bytes([generation, 1]) * 8, bytes([generation, 2]) * 8, bytes([generation, 3]) * 8


class StandInJS:
    """Answers every (re)join with the next generation of keys and a recognisable accept frame."""

    def __init__(self) -> None:
        self.generation = 0

    def answer(self, request: join_pb2.JoinRequest) -> join_pb2.JoinResponse:
        self.generation += 1
        f_key, s_key, e_key = _keys(self.generation)
        return join_pb2.JoinResponse(
            raw_payload=b"\x20" + bytes([self.generation]) * 16,
            session_keys=keys_pb2.SessionKeys(
                session_key_id=f"session-{self.generation}".encode(),
                f_nwk_s_int_key=keys_pb2.KeyEnvelope(key=f_key),
                s_nwk_s_int_key=keys_pb2.KeyEnvelope(key=s_key),
                nwk_s_enc_key=keys_pb2.KeyEnvelope(key=e_key),
            ),
        )


def _join_request() -> bytes:
    return b"\x00" + JOIN_EUI[::-1] + DEV_EUI[::-1] + b"\x01\x00" + bytes(4)  # the JS checks its MIC


def _rejoin(rejoin_type: int, rj_count: int, key: bytes) -> bytes:
    if rejoin_type == 1:
        return b"\xc0\x01" + JOIN_EUI[::-1] + DEV_EUI[::-1] + rj_count.to_bytes(2, "little") + bytes(4)
    body = b"\xc0" + bytes((rejoin_type,)) + NET_ID[::-1] + DEV_EUI[::-1] + rj_count.to_bytes(2, "little")
    return body + _cmac4(key, body)


def _uplink_1_1(dev_addr: bytes, f_cnt: int, generation: int, payload: bytes) -> bytes:
    f_key, s_key, _ = _keys(generation)
    addr = DevAddr(dev_addr)
    phy = PHYPayload(MHDR(MType.UNCONFIRMED_DATA_UP), MACPayload(FHDR(addr, FCtrl(), f_cnt, b""), 2, payload), bytes(4))
    signed = phy.encode_without_mic()
    return signed + data_uplink_mic_1_1(
        AES128Key(f_key), AES128Key(s_key), addr, f_cnt, signed, tx_dr=TX_DR, tx_ch=TX_CH
    )


class Rig:
    def __init__(self, ns: Component, config: NetworkServerConfig, peers: Peers, js: StandInJS) -> None:
        self.ns, self.config, self.peers, self.js = ns, config, peers, js

    async def send(self, raw: bytes) -> None:
        async with self._channel() as channel:
            stub = networkserver_pb2_grpc.GsNsStub(channel)
            for message in uplink_message(raw):
                await stub.HandleUplink(message, metadata=CLUSTER_MD)
        await asyncio.sleep(0.4)

    def _channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(f"127.0.0.1:{self.ns.grpc_port}")

    async def link(self, count: int) -> list[messages_pb2.ApplicationUp]:
        async with self._channel() as channel:
            out = await read_link(channel, APP, count)
        assert len(out) == count, out
        return out

    async def device(self) -> end_device_pb2.EndDevice:
        async with self._channel() as channel:
            paths = ["session", "pending_session", "mac_state"]
            return await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Get(
                end_device_pb2.GetEndDeviceRequest(
                    end_device_ids=_ids(), field_mask=field_mask_pb2.FieldMask(paths=paths)
                ),
                metadata=USER_MD,
            )

    def rejoins(self, outcome: str, rejoin_type: int) -> float:
        value = self.ns.metrics.registry.get_sample_value(
            "lorastack_ns_rejoins_total", {"type": str(rejoin_type), "outcome": outcome}
        )
        return value or 0.0


def _ids() -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id="rejoiner",
        application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP),
        join_eui=JOIN_EUI,
        dev_eui=DEV_EUI,
    )


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with fake_peers() as peers:
        js = StandInJS()
        peers.join.answer = js.answer
        config = ns_config(new_tag(), peers.address)
        async with running_ns([config]) as (ns,):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{ns.grpc_port}") as channel:
                device = end_device_pb2.EndDevice(
                    ids=_ids(),
                    frequency_plan_id="EU_863_870",
                    lorawan_version=lorawan_pb2.MAC_V1_1,
                    lorawan_phy_version=lorawan_pb2.PHY_V1_1_REV_B,
                    supports_join=True,
                )
                paths = ["frequency_plan_id", "lorawan_version", "lorawan_phy_version", "supports_join"]
                await networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel).Set(
                    end_device_pb2.SetEndDeviceRequest(
                        end_device=device, field_mask=field_mask_pb2.FieldMask(paths=paths)
                    ),
                    metadata=USER_MD,
                )
            yield Rig(ns, config, peers, js)


async def _joined(rig: Rig) -> bytes:
    """Join (generation 1) and take the session with a first uplink; returns its DevAddr."""
    await rig.send(_join_request())
    (join_request,) = rig.peers.join.requests
    await rig.send(_uplink_1_1(join_request.dev_addr, 0, 1, b"one"))
    accepted, first = await rig.link(2)
    assert accepted.join_accept.session_key_id == b"session-1" and not accepted.join_accept.pending_session
    assert first.uplink_message.session_key_id == b"session-1"
    return join_request.dev_addr


@pytest.mark.parametrize("rejoin_type", [0, 2])
async def test_rejoin_type_0_and_2_to_a_new_session(rig: Rig, rejoin_type: int) -> None:
    old_addr = await _joined(rig)
    _, old_s_key, _ = _keys(1)
    await rig.send(_rejoin(rejoin_type, 0, old_s_key))
    forwarded = rig.peers.join.requests[-1]
    assert forwarded.payload.m_hdr.m_type == lorawan_pb2.REJOIN_REQUEST
    body = forwarded.payload.rejoin_request_payload
    assert (body.rejoin_type, body.dev_eui, body.net_id, body.rejoin_cnt) == (rejoin_type, DEV_EUI, NET_ID, 0)
    assert forwarded.selected_mac_version == lorawan_pb2.MAC_V1_1 and forwarded.downlink_settings.opt_neg
    # Type 2 keeps the radio parameters, so its accept carries no CFList; type 0 resets them like a join.
    assert forwarded.HasField("cf_list") == (rejoin_type == 0)
    accept = rig.peers.gateway.requests[-1]
    assert accept.raw_payload == b"\x20" + bytes([2]) * 16
    assert accept.request.rx1_delay == 5  # JoinAccept1 of EU868
    (announced,) = await rig.link(1)
    assert announced.join_accept.session_key_id == b"session-2" and announced.join_accept.pending_session
    new_addr = forwarded.dev_addr
    assert announced.end_device_ids.dev_addr == new_addr

    # The device has not taken the rejoin-accept yet: its old session still works.
    await rig.send(_uplink_1_1(old_addr, 1, 1, b"old"))
    (still_old,) = await rig.link(1)
    assert still_old.uplink_message.session_key_id == b"session-1"
    await rig.send(_uplink_1_1(new_addr, 0, 2, b"new"))
    (fresh,) = await rig.link(1)
    assert fresh.uplink_message.session_key_id == b"session-2" and fresh.uplink_message.frm_payload == b"new"
    device = await rig.device()
    assert device.session.dev_addr == new_addr and not device.HasField("pending_session")
    assert rig.rejoins("accepted", rejoin_type) == 1
    names = await event_names(rig.config)
    assert {"ns.up.rejoin.receive", "ns.up.rejoin.forward", "ns.down.join.schedule.attempt"} <= set(names)


async def test_rejoin_mic_and_rj_count_0_checked_by_the_ns(rig: Rig) -> None:
    await _joined(rig)
    _, s_key, _ = _keys(1)
    await rig.send(_rejoin(0, 0, bytes(16)))
    assert len(rig.peers.join.requests) == 1  # a wrong MIC never reaches the JS
    await rig.send(_rejoin(0, 3, s_key))
    assert len(rig.peers.join.requests) == 2
    await rig.link(1)
    # The same RJcount0 again under the same SNwkSIntKey is a replay (outside the deduplication cooldown).
    await asyncio.sleep(0.3)
    await rig.send(_rejoin(0, 3, s_key))
    await rig.send(_rejoin(2, 2, s_key))
    assert len(rig.peers.join.requests) == 2
    assert rig.rejoins("rj_count_0_replay", 0) == 1 and rig.rejoins("rj_count_0_replay", 2) == 1
    await rig.send(_rejoin(2, 4, s_key))
    assert len(rig.peers.join.requests) == 3
    assert "ns.up.rejoin.drop" in await event_names(rig.config)


async def test_rejoin_type_1_goes_to_the_join_server(rig: Rig) -> None:
    await _joined(rig)
    await rig.send(_rejoin(1, 17, b""))
    forwarded = rig.peers.join.requests[-1]
    body = forwarded.payload.rejoin_request_payload
    assert (body.rejoin_type, body.join_eui, body.dev_eui, body.rejoin_cnt) == (1, JOIN_EUI, DEV_EUI, 17)
    assert forwarded.HasField("cf_list")
    (announced,) = await rig.link(1)
    assert announced.join_accept.pending_session
    await rig.send(_uplink_1_1(forwarded.dev_addr, 0, 2, b"after type 1"))
    (fresh,) = await rig.link(1)
    assert fresh.uplink_message.session_key_id == b"session-2"
