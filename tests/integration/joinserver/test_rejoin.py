"""LoRaWAN 1.1 rejoin-requests (types 0, 1, 2) through NsJs.HandleJoin over gRPC against real Redis and NATS.

Device and request from brocaar/lorawan ``backend/joinserver/joinserver_test.go`` (TestRejoinRequest): NwkKey
0102..08 twice, AppKey zero, DevEUI 0102..08, JoinEUI 0807..01, NetID 010203, RJcount 123, JoinNonce 65536; its
rejoin-accept is built the same way here, with plain AES (JSIntKey and JSEncKey per LoRaWAN 1.1 section 6.1.1.3,
MIC over JoinReqType | JoinEUI | RJcount | MHDR | payload per section 6.2.3). Its session keys are not used: that
Join Server derives them for rejoins in the 1.0 layout (NetID, no JoinEUI), which no 1.1 device does. The keys are
worked out here per 1.1 section 6.2.2 with RJcount in DevNonce's place, as LoRaMac-node's
``LoRaMacCryptoHandleJoinAccept`` (src/mac/LoRaMacCrypto.c) derives them on the device.
"""

from __future__ import annotations

import grpc
import pytest

from integration.joinserver.jsharness import RunningJS, StartJS, cmac4, ecb, make_device, recent_events
from ttn.lorawan.v3 import error_pb2, join_pb2, joinserver_pb2, joinserver_pb2_grpc, lorawan_pb2

H = bytes.fromhex
NWK_KEY = H("01020304050607080102030405060708")
JOIN_EUI = H("0807060504030201")
DEV_EUI = H("0102030405060708")
NET_ID = H("010203")
RJ_COUNT = 123
JS_INT_KEY = ecb(NWK_KEY, b"\x06" + DEV_EUI[::-1] + bytes(7))
JS_ENC_KEY = ecb(NWK_KEY, b"\x05" + DEV_EUI[::-1] + bytes(7))


def _session_key(prefix: int, root_key: bytes) -> bytes:
    """prefix | JoinNonce | JoinEUI | RJcount | pad16, encrypted under the root key (all fields little-endian)."""
    block = bytes((prefix,)) + (65536).to_bytes(3, "little") + JOIN_EUI[::-1] + RJ_COUNT.to_bytes(2, "little")
    return ecb(root_key, block + bytes(16 - len(block)))


F_NWK_S_INT_KEY = _session_key(0x01, NWK_KEY)
APP_S_KEY = _session_key(0x02, bytes(16))
S_NWK_S_INT_KEY = _session_key(0x03, NWK_KEY)
NWK_S_ENC_KEY = _session_key(0x04, NWK_KEY)
# Two channels, 868.7 and 868.9 MHz, then three empty ones and CFListType 0 (frequencies).
CFLIST = (8687000).to_bytes(3, "little") + (8689000).to_bytes(3, "little") + bytes(10)


def _rejoin_frame(rejoin_type: int, rj_count: int = RJ_COUNT, *, dev_eui: bytes = DEV_EUI) -> bytes:
    if rejoin_type == 1:
        body = b"\xc0\x01" + JOIN_EUI[::-1] + dev_eui[::-1] + rj_count.to_bytes(2, "little")
        return body + cmac4(JS_INT_KEY, body)
    body = b"\xc0" + bytes((rejoin_type,)) + NET_ID[::-1] + dev_eui[::-1] + rj_count.to_bytes(2, "little")
    # Signed with SNwkSIntKey, which the NS checks; the JS does not look at it.
    return body + b"\x00\x00\x00\x00"


def _request(raw: bytes, *, cflist: bool, version: int = lorawan_pb2.MAC_V1_1) -> join_pb2.JoinRequest:
    request = join_pb2.JoinRequest(
        raw_payload=raw,
        selected_mac_version=version,
        net_id=NET_ID,
        dev_addr=H("01020304"),
        downlink_settings=lorawan_pb2.DLSettings(rx1_dr_offset=1, rx2_dr=5, opt_neg=True),
        rx_delay=lorawan_pb2.RX_DELAY_1,
    )
    if cflist:
        request.cf_list.CopyFrom(lorawan_pb2.CFList(type=lorawan_pb2.FREQUENCIES, freq=[8687000, 8689000]))
    return request


def _expected_rejoin_accept(rejoin_type: int, *, cflist: bool) -> bytes:
    plain = b"\x20" + (65536).to_bytes(3, "little") + NET_ID[::-1] + H("04030201") + b"\x95\x01"
    plain += CFLIST if cflist else b""
    mic = cmac4(JS_INT_KEY, bytes((rejoin_type,)) + JOIN_EUI[::-1] + RJ_COUNT.to_bytes(2, "little") + plain)
    return b"\x20" + ecb(JS_ENC_KEY, plain[1:] + mic, decrypt=True)


async def _device(js: RunningJS, **fields: object) -> None:
    device = make_device(
        "app-1", "dev-1", JOIN_EUI.hex(), DEV_EUI.hex(), app_key="00" * 16, nwk_key=NWK_KEY.hex(), **fields
    )
    await js.put_device(device)


async def _rejoin(js: RunningJS, req: join_pb2.JoinRequest) -> join_pb2.JoinResponse:
    response: join_pb2.JoinResponse = await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(
        req, metadata=js.cluster_metadata
    )
    return response


async def _refused(js: RunningJS, req: join_pb2.JoinRequest, code: grpc.StatusCode, name: str) -> None:
    before = await js.snapshot()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _rejoin(js, req)
    assert caught.value.code() == code
    assert f"pkg/joinserver:{name}" in (caught.value.details() or "")
    assert await js.snapshot() == before
    reject = [e for e in await recent_events(js, 0) if e.name == "js.join.reject"][-1]
    details = error_pb2.ErrorDetails()
    assert reject.data.Unpack(details) and details.name == name


@pytest.mark.parametrize(("rejoin_type", "cflist"), [(0, True), (1, True), (2, False)])
async def test_rejoin_accept_and_session_keys(start_js: StartJS, rejoin_type: int, cflist: bool) -> None:
    js = await start_js()
    await _device(js, last_join_nonce=65535, last_dev_nonce=9)
    response = await _rejoin(js, _request(_rejoin_frame(rejoin_type), cflist=cflist))
    assert response.raw_payload == _expected_rejoin_accept(rejoin_type, cflist=cflist)
    keys = response.session_keys
    assert keys.f_nwk_s_int_key.key == F_NWK_S_INT_KEY
    assert keys.s_nwk_s_int_key.key == S_NWK_S_INT_KEY
    assert keys.nwk_s_enc_key.key == NWK_S_ENC_KEY
    request = joinserver_pb2.SessionKeyRequest(session_key_id=keys.session_key_id, dev_eui=DEV_EUI)
    app = await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    assert app.app_s_key.key == APP_S_KEY
    stored = await js.registry.get("app-1", "dev-1")
    assert stored is not None
    assert stored.last_join_nonce == 65536
    assert stored.last_dev_nonce == 9
    counters = (stored.last_rj_count_0, stored.last_rj_count_1)
    assert counters == ((0, RJ_COUNT) if rejoin_type == 1 else (RJ_COUNT, 0))
    accepts = [e for e in await recent_events(js, 0) if e.name == "js.join.accept"]
    assert accepts[-1].identifiers[0].device_ids.device_id == "dev-1"


async def test_rejoin_type_1_is_checked_and_counted(start_js: StartJS) -> None:
    js = await start_js()
    await _device(js, last_join_nonce=3)
    forged = _rejoin_frame(1)[:-4] + b"\x01\x02\x03\x04"
    await _refused(js, _request(forged, cflist=False), grpc.StatusCode.INVALID_ARGUMENT, "mic_mismatch")
    await _rejoin(js, _request(_rejoin_frame(1), cflist=False))
    # The same RJcount1 again is a replay; a smaller one too.
    replay = _request(_rejoin_frame(1), cflist=False)
    await _refused(js, replay, grpc.StatusCode.INVALID_ARGUMENT, "rj_count_too_small")
    older = _request(_rejoin_frame(1, RJ_COUNT - 1), cflist=False)
    await _refused(js, older, grpc.StatusCode.INVALID_ARGUMENT, "rj_count_too_small")
    await _rejoin(js, _request(_rejoin_frame(1, RJ_COUNT + 1), cflist=False))


async def test_rejoin_refusals(start_js: StartJS) -> None:
    js = await start_js()
    await _device(js)
    await _refused(
        js,
        _request(_rejoin_frame(0), cflist=False, version=lorawan_pb2.MAC_V1_0_3),
        grpc.StatusCode.INVALID_ARGUMENT,
        "unsupported_lorawan_version",
    )
    stranger = _request(_rejoin_frame(2, dev_eui=H("0909090909090909")), cflist=False)
    await _refused(js, stranger, grpc.StatusCode.NOT_FOUND, "device_not_found")
    reject = [e for e in await recent_events(js, 0) if e.name == "js.join.reject"][-1]
    assert reject.identifiers[0].device_ids.dev_eui == H("0909090909090909")
    # One DevEUI under two JoinEUIs: a type 0 rejoin cannot tell which device it is.
    twin = make_device("app-2", "dev-2", "0A" * 8, DEV_EUI.hex(), nwk_key=NWK_KEY.hex(), app_key="00" * 16)
    await js.put_device(twin)
    await _refused(
        js, _request(_rejoin_frame(0), cflist=False), grpc.StatusCode.FAILED_PRECONDITION, "ambiguous_dev_eui"
    )
    # Type 1 names its JoinEUI, so it still works.
    await _rejoin(js, _request(_rejoin_frame(1), cflist=False))
