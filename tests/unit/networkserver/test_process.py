"""Processing a matched uplink: 1.1 FOpts decryption, pending-session promotion, confirmed downlink
acknowledgements, the ApplicationUp, and when a downlink must follow."""

from __future__ import annotations

from datetime import UTC, datetime

from lorastack.lorawan import (
    FHDR,
    AES128Key,
    DevAddr,
    DevStatusReq,
    FCtrl,
    LinkCheckReq,
    MACPayload,
    RekeyConf,
    RekeyInd,
    encrypt_fopts,
    get_band,
)
from networkserver.downlink.frames import build_data_downlink
from networkserver.mac import encode_stored
from networkserver.store import StoredDevice
from networkserver.uplink.match import Match
from networkserver.uplink.process import UplinkFacts, process_data_uplink
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2, messages_pb2

ADDR = DevAddr.from_hex("26011BDA")
E_KEY = bytes(range(32, 48))
BAND = get_band("EU_863_870")


def _device(version: int = lorawan_pb2.MAC_V1_1) -> end_device_pb2.EndDevice:
    device = end_device_pb2.EndDevice(lorawan_version=version, frequency_plan_id="EU_863_870")  # type: ignore[arg-type]
    device.ids.device_id, device.ids.application_ids.application_id = "dev", "app"
    for session in (device.session, device.pending_session):
        session.dev_addr = ADDR.value
        session.keys.nwk_s_enc_key.key = E_KEY
    device.session.keys.session_key_id = b"old"
    device.pending_session.keys.session_key_id = b"new"
    device.mac_state.lorawan_version = version  # type: ignore[assignment]
    device.pending_mac_state.lorawan_version = version  # type: ignore[assignment]
    return device


def _facts(payload: MACPayload, confirmed: bool = False) -> UplinkFacts:
    message = messages_pb2.UplinkMessage()
    message.rx_metadata.add(snr=3.0).gateway_ids.gateway_id = "gw"
    return UplinkFacts(message, payload, confirmed, BAND, 5, 0, datetime(2026, 1, 1, tzinfo=UTC))


def test_lorawan_1_1_pending_session_with_encrypted_rekey_ind() -> None:
    device = _device()
    f_opts = encrypt_fopts(AES128Key(E_KEY), ADDR, 0, RekeyInd(minor=1).encode(), uplink=True)
    payload = MACPayload(FHDR(ADDR, FCtrl(), 0, f_opts), 1, b"\x99")
    processed = process_data_uplink(device, Match(StoredDevice("app", "dev", "1", device), True, 0), _facts(payload))
    assert device.session.keys.session_key_id == b"new"
    assert not device.HasField("pending_session")
    assert processed.mac.responses == [RekeyConf(minor=1)]
    assert processed.needs_downlink
    (up,) = processed.application_ups
    assert up.uplink_message.session_key_id == b"new" and up.uplink_message.frm_payload == b"\x99"


def test_ack_and_nack_of_a_confirmed_downlink() -> None:
    for ack, kind in ((True, "downlink_ack"), (False, "downlink_nack")):
        device = _device(lorawan_pb2.MAC_V1_0_3)
        device.mac_state.pending_application_downlink.f_cnt = 4
        payload = MACPayload(FHDR(ADDR, FCtrl(ack=ack), 3))
        processed = process_data_uplink(device, Match(StoredDevice("a", "d", "1", device), False, 3), _facts(payload))
        assert [u.WhichOneof("up") for u in processed.application_ups] == [kind]
        assert not device.mac_state.HasField("pending_application_downlink")
        assert not processed.needs_downlink


def test_lorawan_1_0_fopts_in_clear_and_confirmed_needs_downlink() -> None:
    device = _device(lorawan_pb2.MAC_V1_0_3)
    device.mac_state.pending_requests.append(encode_stored(DevStatusReq()))
    payload = MACPayload(FHDR(ADDR, FCtrl(), 12, LinkCheckReq().encode()))
    processed = process_data_uplink(
        device, Match(StoredDevice("a", "d", "1", device), False, 12), _facts(payload, confirmed=True)
    )
    assert device.session.last_f_cnt_up == 12
    assert [type(r).__name__ for r in processed.mac.responses] == ["LinkCheckAns"]
    assert not device.mac_state.pending_requests  # the device ignored DevStatusReq
    assert processed.needs_downlink and not processed.application_ups
    assert device.mac_state.recent_uplinks[-1].payload.mac_payload.full_f_cnt == 12


def test_unacknowledged_confirmed_downlink_is_retransmitted_then_nacked() -> None:
    device = _device(lorawan_pb2.MAC_V1_0_3)
    device.session.keys.session_key_id = b"old"
    device.session.keys.f_nwk_s_int_key.key = bytes(16)
    sent = device.mac_state.pending_application_downlink
    sent.session_key_id, sent.f_cnt, sent.f_port, sent.confirmed = b"old", 4, 1, True
    sent.confirmed_retry.max_attempts.value = 2
    device.session.last_n_f_cnt_down = device.session.last_a_f_cnt_down = 4
    device.mac_state.recent_downlinks.add()
    nack = MACPayload(FHDR(ADDR, FCtrl(ack=False), 5))
    processed = process_data_uplink(device, Match(StoredDevice("a", "d", "1", device), False, 5), _facts(nack))
    assert not processed.application_ups
    assert processed.needs_downlink
    built = build_data_downlink(device, [], ack=False)
    assert built is not None and built.application is not None
    assert (built.f_cnt, built.application.confirmed_retry.attempt) == (4, 1)
    device.mac_state.pending_application_downlink.CopyFrom(built.application)
    processed = process_data_uplink(device, Match(StoredDevice("a", "d", "1", device), False, 6), _facts(nack))
    assert [u.WhichOneof("up") for u in processed.application_ups] == ["downlink_nack"]


def test_a_pending_adr_change_needs_a_downlink() -> None:
    # Found end to end: ADR set a higher desired data rate but no downlink ever carried the LinkADRReq.
    device = _device(lorawan_pb2.MAC_V1_0_3)
    device.mac_state.desired_parameters.adr_data_rate_index = 5  # type: ignore[assignment]
    payload = MACPayload(FHDR(ADDR, FCtrl(), 7))
    processed = process_data_uplink(device, Match(StoredDevice("a", "d", "1", device), False, 7), _facts(payload))
    assert processed.needs_downlink
