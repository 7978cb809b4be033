"""Rejoin-requests at the NS (LoRaWAN 1.1 section 6.2.4): decoding, the type 0 and 2 MIC under the current
or pending SNwkSIntKey, RJcount0, the MAC state a rejoin starts and the NsJs.HandleJoin request."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from lorastack.lorawan import NetID, decode_phy_payload
from networkserver.uplink.join import join_mac_state
from networkserver.uplink.process import promote_pending
from networkserver.uplink.rejoin import (
    RejoinChange,
    rejoin_facts,
    rejoin_join_request,
    rejoin_mac_state,
    rj_count_0_fresh,
    verify_session_mic,
)
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

H = bytes.fromhex
CURRENT_KEY = H("000102030405060708090A0B0C0D0E0F")
PENDING_KEY = H("F0E0D0C0B0A090807060504030201000")
DEV_EUI = H("0102030405060708")
JOIN_EUI = H("70B3D57ED0000001")
NET_ID = H("000013")


def _cmac4(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:4]


def _type_0_2(rejoin_type: int, rj_count: int, key: bytes) -> bytes:
    # MHDR 0xC0 (rejoin-request), then type, NetID, DevEUI and RJcount0, all little-endian on air.
    body = b"\xc0" + bytes((rejoin_type,)) + NET_ID[::-1] + DEV_EUI[::-1] + rj_count.to_bytes(2, "little")
    return body + _cmac4(key, body)


def _type_1(rj_count: int) -> bytes:
    body = b"\xc0\x01" + JOIN_EUI[::-1] + DEV_EUI[::-1] + rj_count.to_bytes(2, "little")
    return body + b"\x01\x02\x03\x04"


def _device() -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(
        frequency_plan_id="EU_863_870", lorawan_version=lorawan_pb2.MAC_V1_1, supports_join=True
    )
    device.ids.device_id, device.ids.application_ids.application_id = "dev", "app"
    device.ids.dev_eui, device.ids.join_eui = DEV_EUI, JOIN_EUI
    device.session.dev_addr = H("26000001")
    device.session.keys.s_nwk_s_int_key.key = CURRENT_KEY
    device.session.keys.session_key_id = b"current"
    device.mac_state.CopyFrom(join_mac_state(device))
    return device


@pytest.mark.parametrize(
    ("raw", "rejoin_type", "join_eui", "net_id", "rj_count"),
    [
        (_type_0_2(0, 7, CURRENT_KEY), 0, b"", NET_ID, 7),
        (_type_0_2(2, 0x1234, CURRENT_KEY), 2, b"", NET_ID, 0x1234),
        (_type_1(300), 1, JOIN_EUI, b"", 300),
    ],
)
def test_rejoin_facts(raw: bytes, rejoin_type: int, join_eui: bytes, net_id: bytes, rj_count: int) -> None:
    facts = rejoin_facts(raw, decode_phy_payload(raw))
    assert (facts.rejoin_type, facts.join_eui, facts.net_id, facts.rj_count) == (
        rejoin_type,
        join_eui,
        net_id,
        rj_count,
    )
    assert facts.dev_eui == DEV_EUI
    assert facts.signed + facts.mic == raw


def test_session_mic_current_pending_or_none() -> None:
    device = _device()
    device.pending_session.keys.s_nwk_s_int_key.key = PENDING_KEY
    cases = [(CURRENT_KEY, "session"), (PENDING_KEY, "pending"), (bytes(16), None)]
    for key, expected in cases:
        raw = _type_0_2(0, 1, key)
        assert verify_session_mic(device, rejoin_facts(raw, decode_phy_payload(raw))) == expected
    # A wrapped key (no KEK here) verifies nothing.
    device.session.keys.s_nwk_s_int_key.ClearField("key")
    raw = _type_0_2(2, 1, CURRENT_KEY)
    assert verify_session_mic(device, rejoin_facts(raw, decode_phy_payload(raw))) is None


@pytest.mark.parametrize(("next_count", "rj_count", "fresh"), [(0, 0, True), (0, 5, True), (3, 2, False), (3, 3, True)])
def test_rj_count_0(next_count: int, rj_count: int, fresh: bool) -> None:
    device = _device()
    device.last_rj_count_0 = next_count
    assert rj_count_0_fresh(device, rj_count) is fresh


def test_type_2_keeps_radio_parameters_and_drops_queues() -> None:
    device = _device()
    state = device.mac_state
    state.current_parameters.rx1_delay = lorawan_pb2.RX_DELAY_3
    state.current_parameters.channels.add(uplink_frequency=867_100_000, enable_uplink=True)
    state.queued_responses.add(cid=lorawan_pb2.CID_LINK_CHECK)
    state.pending_requests.add(cid=lorawan_pb2.CID_DEV_STATUS)
    state.recent_uplinks.add().received_at.GetCurrentTime()
    kept = rejoin_mac_state(device, 2)
    assert kept.current_parameters == state.current_parameters
    assert not kept.queued_responses and not kept.pending_requests and not kept.recent_uplinks
    for rejoin_type in (0, 1):
        reset = rejoin_mac_state(device, rejoin_type)
        assert reset == join_mac_state(device)
        assert len(reset.current_parameters.channels) == 3  # the band's default channels only


def test_join_request_for_the_join_server() -> None:
    device = _device()
    raw = _type_0_2(2, 9, CURRENT_KEY)
    uplink = messages_pb2.UplinkMessage(raw_payload=raw, correlation_ids=["c1"])
    state = rejoin_mac_state(device, 2)
    request = rejoin_join_request(
        uplink, rejoin_facts(raw, decode_phy_payload(raw)), state, H("26AABBCC"), NetID(NET_ID)
    )
    assert request.raw_payload == raw
    assert request.selected_mac_version == lorawan_pb2.MAC_V1_1
    assert request.payload.m_hdr.m_type == lorawan_pb2.REJOIN_REQUEST
    body = request.payload.rejoin_request_payload
    assert (body.rejoin_type, body.net_id, body.dev_eui, body.rejoin_cnt) == (lorawan_pb2.KEYS, NET_ID, DEV_EUI, 9)
    assert request.downlink_settings.opt_neg
    assert request.rx_delay == state.current_parameters.rx1_delay
    assert (request.dev_addr, request.net_id, list(request.correlation_ids)) == (H("26AABBCC"), NET_ID, ["c1"])


def test_change_counts_rj_count_0_and_promotes() -> None:
    device = _device()
    device.pending_session.dev_addr = H("26000002")
    device.pending_session.keys.session_key_id = b"pending"
    RejoinChange(0, 4, promote=True).apply(device)
    assert device.session.keys.session_key_id == b"pending"
    assert device.ids.dev_addr == H("26000002")
    assert device.last_rj_count_0 == 5
    RejoinChange(1, 40, promote=False).apply(device)
    assert device.last_rj_count_0 == 5  # type 1 counts RJcount1, which the JS keeps


def test_promotion_restarts_rj_count_0() -> None:
    device = _device()
    device.last_rj_count_0 = 8
    device.pending_session.dev_addr = H("26000003")
    promote_pending(device)
    assert device.last_rj_count_0 == 0
    assert device.ids.dev_addr == H("26000003")


def test_promotion_drops_the_join_request_kept_for_the_accept() -> None:
    device = _device()
    device.pending_session.dev_addr = H("26000003")
    recent = device.pending_mac_state.recent_uplinks
    recent.add().payload.m_hdr.m_type = lorawan_pb2.REJOIN_REQUEST
    recent.add().payload.m_hdr.m_type = lorawan_pb2.UNCONFIRMED_UP
    promote_pending(device)
    assert [up.payload.m_hdr.m_type for up in device.mac_state.recent_uplinks] == [lorawan_pb2.UNCONFIRMED_UP]
