"""NsJs.HandleJoin, NsJs.GetNwkSKeys and AsJs.GetAppSKey end to end over gRPC against real Redis and NATS.

Vectors come from independent implementations:
- ChirpStack lrwn, ``lrwn/src/phy_payload.rs`` (doc examples): the 1.0.x join-request and join-accept bytes;
- brocaar/lorawan, ``backend/joinserver/joinserver_test.go``: 1.0 and 1.1 session keys and their
  RFC 3394 wraps under an all-zero KEK;
- The Things Stack, ``pkg/joinserver/joinserver_test.go`` (``1.1.0/cluster auth/new device``): the 1.1
  join-request and the join-accept plaintext with its MIC.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
import structlog.testing
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from integration.joinserver.jsharness import AT_REST_KEK, RunningJS, StartJS, make_device, recent_events
from ttn.lorawan.v3 import error_pb2, join_pb2, joinserver_pb2, joinserver_pb2_grpc, lorawan_pb2

H = bytes.fromhex


def _cmac4(key: bytes, data: bytes) -> bytes:
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:4]


def _ecb_decrypt(key: bytes, data: bytes) -> bytes:
    """What a server does to encrypt a join-accept (the device only has AES encryption)."""
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """What a device does to read a join-accept."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _join_request(key: str, join_eui: str, dev_eui: str, dev_nonce: int) -> bytes:
    """A join-request as a device sends it, signed with the test's own CMAC (not the server's code)."""
    body = b"\x00" + H(join_eui)[::-1] + H(dev_eui)[::-1] + dev_nonce.to_bytes(2, "little")
    return body + _cmac4(H(key), body)


def _request(raw: bytes, version: int, net_id: str, dev_addr: str, **fields: object) -> join_pb2.JoinRequest:
    return join_pb2.JoinRequest(
        raw_payload=raw, selected_mac_version=version, net_id=H(net_id), dev_addr=H(dev_addr), **fields
    )


async def _join(js: RunningJS, req: join_pb2.JoinRequest) -> join_pb2.JoinResponse:
    stub = joinserver_pb2_grpc.NsJsStub(js.channel)
    response: join_pb2.JoinResponse = await stub.HandleJoin(req, metadata=js.cluster_metadata)
    return response


async def _refused(js: RunningJS, req: join_pb2.JoinRequest, code: grpc.StatusCode, name: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _join(js, req)
    assert caught.value.code() == code
    assert f"pkg/joinserver:{name}" in (caught.value.details() or "")


# lrwn: AppKey 0102..10, JoinEUI 0101..01, DevEUI 0202..02, DevNonce 771 -> MIC 09B97B32.
LRWN_JOIN_REQUEST = H("00" + "01" * 8 + "02" * 8 + "0303" + "09B97B32")
LRWN_APP_KEY = "0102030405060708090A0B0C0D0E0F10"
# lrwn: JoinNonce 65793, NetID 020202, DevAddr 01020304, DLSettings 0, RxDelay 0, no CFList.
LRWN_JOIN_ACCEPT = H("2023CF335489AAE3183C0BE0BAA8DEE5F3")

BROCAAR_KEY = "01020304050607080102030405060708"
BROCAAR_JOIN_EUI = "0807060504030201"
BROCAAR_DEV_EUI = "0102030405060708"


def _brocaar_request(version: int) -> join_pb2.JoinRequest:
    return _request(
        _join_request(BROCAAR_KEY, BROCAAR_JOIN_EUI, BROCAAR_DEV_EUI, 258),
        version,
        "010203",
        "01020304",
        downlink_settings=lorawan_pb2.DLSettings(rx1_dr_offset=1, rx2_dr=5, opt_neg=version == lorawan_pb2.MAC_V1_1),
        rx_delay=lorawan_pb2.RX_DELAY_1,
        cf_list=lorawan_pb2.CFList(type=lorawan_pb2.FREQUENCIES, freq=[8687000, 8689000]),
    )


async def test_1_0_join_accept_bytes_match_lrwn(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device("app-1", "dev-1", "01" * 8, "02" * 8, app_key=LRWN_APP_KEY, last_join_nonce=65792)
    await js.put_device(device)
    response = await _join(js, _request(LRWN_JOIN_REQUEST, lorawan_pb2.MAC_V1_0_2, "020202", "01020304"))
    assert response.raw_payload == LRWN_JOIN_ACCEPT
    stored = await js.registry.get("app-1", "dev-1")
    assert stored is not None
    assert stored.last_join_nonce == 65793
    assert list(stored.used_dev_nonces) == [771]
    assert len(response.session_keys.session_key_id) == 16


async def test_1_0_session_keys_match_brocaar(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1", "dev-1", BROCAAR_JOIN_EUI, BROCAAR_DEV_EUI, app_key=BROCAAR_KEY, last_join_nonce=65535
    )
    await js.put_device(device)
    response = await _join(js, _brocaar_request(lorawan_pb2.MAC_V1_0_2))
    keys = response.session_keys
    assert keys.f_nwk_s_int_key.key == H("DF53C35F3034CCCED0FF354C70DE04DF")
    assert not keys.HasField("app_s_key")
    request = joinserver_pb2.SessionKeyRequest(session_key_id=keys.session_key_id, dev_eui=H(BROCAAR_DEV_EUI))
    app = await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    assert app.app_s_key.key == H("927B9C911183CFFE4CB2FF4B75545F6D")
    nwk = await joinserver_pb2_grpc.NsJsStub(js.channel).GetNwkSKeys(request, metadata=js.cluster_metadata)
    assert nwk.f_nwk_s_int_key.key == H("DF53C35F3034CCCED0FF354C70DE04DF")
    # The join-accept answers the request: decrypting it gives back JoinNonce 65536 and a valid MIC.
    plain = _ecb_encrypt(H(BROCAAR_KEY), response.raw_payload[1:])
    assert plain[:3] == (65536).to_bytes(3, "little")
    assert _cmac4(H(BROCAAR_KEY), response.raw_payload[:1] + plain[:-4]) == plain[-4:]


async def test_1_1_session_keys_and_kek_wraps_match_brocaar(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1",
        "dev-1",
        BROCAAR_JOIN_EUI,
        BROCAAR_DEV_EUI,
        app_key="00" * 16,
        nwk_key=BROCAAR_KEY,
        last_join_nonce=65535,
        network_server_kek_label="ns-kek",
        application_server_kek_label="as-kek",
    )
    await js.put_device(device)
    response = await _join(js, _brocaar_request(lorawan_pb2.MAC_V1_1))
    keys = response.session_keys
    assert keys.f_nwk_s_int_key.kek_label == "ns-kek"
    assert not keys.f_nwk_s_int_key.key
    assert keys.f_nwk_s_int_key.encrypted_key == H("5755E6C3241EE7E6646F0FFE87787A002CF9E4B083498F00")
    assert keys.s_nwk_s_int_key.encrypted_key == H("F6B0B81F3D3029125591C0B0B88D76C93B48ACA4041685D3")
    assert keys.nwk_s_enc_key.encrypted_key == H("4EE1ECDBBD9752EF6DE28C41E9BDAE2527CEF1F2027F9DF7")
    request = joinserver_pb2.SessionKeyRequest(
        session_key_id=keys.session_key_id, dev_eui=H(BROCAAR_DEV_EUI), join_eui=H(BROCAAR_JOIN_EUI)
    )
    app = await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    assert app.app_s_key.kek_label == "as-kek"
    assert app.app_s_key.encrypted_key == H("F8D7C9FA37B0D1C6354E6DB8E19D9D7AB4E5C7581E9F1E20")
    stored = await js.registry.get("app-1", "dev-1")
    assert stored is not None and stored.last_dev_nonce == 258 and stored.last_join_nonce == 65536


async def test_1_1_join_accept_matches_the_things_stack(start_js: StartJS) -> None:
    js = await start_js()
    nwk_key = "4242" + "FF" * 14
    device = make_device(
        "app-1", "dev-1", "42" + "FF" * 7, "4242" + "FF" * 6, app_key="42" + "FF" * 15, nwk_key=nwk_key
    )
    await js.put_device(device)
    raw = H("00" + "FF" * 7 + "42" + "FF" * 6 + "4242" + "0000" + "5517548E")
    req = _request(
        raw,
        lorawan_pb2.MAC_V1_1,
        "42FFFF",
        "42FFFFFF",
        downlink_settings=lorawan_pb2.DLSettings(opt_neg=True, rx1_dr_offset=7, rx2_dr=15),
        rx_delay=0x42,  # type: ignore[arg-type]
    )
    response = await _join(js, req)
    plaintext = H("010000" + "FFFF42" + "FFFFFF42" + "FF" + "42" + "EBCD7459")
    assert response.raw_payload == b"\x20" + _ecb_decrypt(H(nwk_key), plaintext)


async def test_requests_are_cluster_only(start_js: StartJS) -> None:
    js = await start_js()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.NsJsStub(js.channel).HandleJoin(
            _request(LRWN_JOIN_REQUEST, lorawan_pb2.MAC_V1_0_2, "020202", "01020304"),
            metadata=(("authorization", "Bearer NNSXS.X.Y"),),
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def _assert_rejected_unchanged(
    js: RunningJS, req: join_pb2.JoinRequest, code: grpc.StatusCode, name: str, *, event: bool = True
) -> None:
    before = await js.snapshot()
    await _refused(js, req, code, name)
    assert await js.snapshot() == before
    if event:
        rejects = [e for e in await recent_events(js, 0) if e.name == "js.join.reject"]
        details = error_pb2.ErrorDetails()
        assert rejects[-1].data.Unpack(details)
        assert details.name == name


async def test_refusals_each_have_their_error_and_event_and_change_nothing(start_js: StartJS) -> None:
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-10", "01" * 8, "02" * 8, app_key=LRWN_APP_KEY))
    await js.put_device(make_device("app-1", "dev-11", BROCAAR_JOIN_EUI, BROCAAR_DEV_EUI, nwk_key=BROCAAR_KEY))
    await js.put_device(make_device("app-1", "dev-12", "03" * 8, "04" * 8))
    ok = _request(LRWN_JOIN_REQUEST, lorawan_pb2.MAC_V1_0_2, "020202", "01020304")
    await _join(js, ok)
    # The same DevNonce again: a replay.
    await _assert_rejected_unchanged(js, ok, grpc.StatusCode.INVALID_ARGUMENT, "reuse_dev_nonce")
    wrong_mic = _request(LRWN_JOIN_REQUEST[:-4] + b"\x00\x00\x00\x00", lorawan_pb2.MAC_V1_0_2, "020202", "01020304")
    await _assert_rejected_unchanged(js, wrong_mic, grpc.StatusCode.INVALID_ARGUMENT, "mic_mismatch")
    unknown = _request(_join_request(LRWN_APP_KEY, "05" * 8, "06" * 8, 1), lorawan_pb2.MAC_V1_0_2, "020202", "01020304")
    # No registered device: the event names the EUIs of the request instead.
    await _assert_rejected_unchanged(js, unknown, grpc.StatusCode.NOT_FOUND, "device_not_found")
    reject = [e for e in await recent_events(js, 0) if e.name == "js.join.reject"][-1]
    assert reject.identifiers[0].device_ids.dev_eui == H("06" * 8)
    assert reject.identifiers[0].device_ids.join_eui == H("05" * 8)
    assert not reject.identifiers[0].device_ids.device_id
    no_app_key = _request(
        _join_request(BROCAAR_KEY, BROCAAR_JOIN_EUI, BROCAAR_DEV_EUI, 9), lorawan_pb2.MAC_V1_1, "010203", "01020304"
    )
    await _assert_rejected_unchanged(js, no_app_key, grpc.StatusCode.FAILED_PRECONDITION, "no_app_key")
    no_keys = _request(_join_request(LRWN_APP_KEY, "03" * 8, "04" * 8, 1), lorawan_pb2.MAC_V1_1, "010203", "01020304")
    await _assert_rejected_unchanged(js, no_keys, grpc.StatusCode.FAILED_PRECONDITION, "no_nwk_key")
    exposition = js.component.metrics.exposition().decode()
    assert 'lorastack_js_joins_rejected_total{reason="reuse_dev_nonce"} 1.0' in exposition
    assert "lorastack_js_joins_accepted_total 1.0" in exposition


async def test_1_1_dev_nonce_must_grow(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1", "dev-1", BROCAAR_JOIN_EUI, BROCAAR_DEV_EUI, app_key="00" * 16, nwk_key=BROCAAR_KEY, last_join_nonce=3
    )
    device.last_dev_nonce = 258
    await js.put_device(device)
    req = _brocaar_request(lorawan_pb2.MAC_V1_1)
    await _assert_rejected_unchanged(js, req, grpc.StatusCode.INVALID_ARGUMENT, "dev_nonce_too_small")
    device.resets_join_nonces = True
    await js.put_device(device)
    await _join(js, req)


async def test_concurrent_joins_with_one_dev_nonce_accept_exactly_one(start_js: StartJS) -> None:
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-1", "01" * 8, "02" * 8, app_key=LRWN_APP_KEY))
    req = _request(LRWN_JOIN_REQUEST, lorawan_pb2.MAC_V1_0_2, "020202", "01020304")
    results = await asyncio.gather(*(_join(js, req) for _ in range(8)), return_exceptions=True)
    accepted = [r for r in results if isinstance(r, join_pb2.JoinResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(accepted) == 1
    assert len(refused) == 7
    assert all("reuse_dev_nonce" in (r.details() or "") for r in refused)
    stored = await js.registry.get("app-1", "dev-1")
    assert stored is not None and stored.last_join_nonce == 1


async def test_no_key_reaches_a_log_line_or_an_event(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1",
        "dev-1",
        BROCAAR_JOIN_EUI,
        BROCAAR_DEV_EUI,
        app_key="00" * 16,
        nwk_key=BROCAAR_KEY,
        last_join_nonce=65535,
    )
    await js.put_device(device)
    secrets = [
        BROCAAR_KEY,
        "537F8AAE896C79E015D102D06286354E",
        "589498993092CFDB5FD2E02AC7510BF1",
        "9898283C4F66EB6C6FD5165882046C40",
        "01621215D1CA08FEBF0C602CC2AD90FA",
        AT_REST_KEK.hex(),
    ]
    with structlog.testing.capture_logs() as logs:
        response = await _join(js, _brocaar_request(lorawan_pb2.MAC_V1_1))
        await _refused(
            js, _brocaar_request(lorawan_pb2.MAC_V1_1), grpc.StatusCode.INVALID_ARGUMENT, "dev_nonce_too_small"
        )
        request = joinserver_pb2.SessionKeyRequest(
            session_key_id=response.session_keys.session_key_id, dev_eui=H(BROCAAR_DEV_EUI)
        )
        await joinserver_pb2_grpc.AsJsStub(js.channel).GetAppSKey(request, metadata=js.peer_metadata("as"))
    published = await recent_events(js, 0)
    assert {e.name for e in published} == {"js.join.accept", "js.join.reject"}
    assert logs
    text = repr(logs).lower()
    blobs = b"".join(e.SerializeToString() for e in published)
    for secret in secrets:
        assert secret.lower() not in text
        assert secret.lower().encode() not in blobs.lower()
        assert bytes.fromhex(secret) not in blobs
        assert bytes.fromhex(secret) not in repr(logs).encode()
