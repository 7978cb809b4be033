"""NetworkCryptoService and ApplicationCryptoService over gRPC; session keys from brocaar/lorawan
``backend/joinserver/joinserver_test.go`` (1.1, NwkKey 0102..08 twice, AppKey zero, JoinNonce 65536, DevNonce 258);
join MICs and join-accepts from The Things Stack and ChirpStack lrwn (each test names its source)."""

from __future__ import annotations

import grpc
import pytest

from integration.joinserver.jsharness import StartJS, cmac4, ecb, make_device
from ttn.lorawan.v3 import identifiers_pb2, joinserver_pb2, joinserver_pb2_grpc, lorawan_pb2

H = bytes.fromhex


async def test_derive_and_root_keys(start_js: StartJS) -> None:
    js = await start_js()
    device = make_device(
        "app-1",
        "dev-1",
        "0807060504030201",
        "0102030405060708",
        app_key="00" * 16,
        nwk_key="01020304050607080102030405060708",
        network_server_kek_label="ns-kek",
    )
    await js.put_device(device)
    ids = identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev-1", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-1")
    )
    req = joinserver_pb2.DeriveSessionKeysRequest(
        ids=ids, lorawan_version=lorawan_pb2.MAC_V1_1, join_nonce=H("010000"), dev_nonce=H("0102"), net_id=H("010203")
    )
    nwk = await joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel).DeriveNwkSKeys(
        req, metadata=js.cluster_metadata
    )
    assert nwk.f_nwk_s_int_key.encrypted_key == H("5755E6C3241EE7E6646F0FFE87787A002CF9E4B083498F00")
    app = await joinserver_pb2_grpc.ApplicationCryptoServiceStub(js.channel).DeriveAppSKey(
        req, metadata=js.cluster_metadata
    )
    assert app.app_s_key.key == H("01621215D1CA08FEBF0C602CC2AD90FA")
    root = await joinserver_pb2_grpc.ApplicationCryptoServiceStub(js.channel).GetAppKey(
        joinserver_pb2.GetRootKeysRequest(ids=ids), metadata=js.cluster_metadata
    )
    assert root.key == bytes(16)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel).GetNwkKey(
            joinserver_pb2.GetRootKeysRequest(ids=ids), metadata=(("authorization", "Bearer x"),)
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _payload_request(
    ids: identifiers_pb2.EndDeviceIdentifiers, version: int, payload: bytes
) -> joinserver_pb2.CryptoServicePayloadRequest:
    return joinserver_pb2.CryptoServicePayloadRequest(ids=ids, lorawan_version=version, payload=payload)


def _by_euis(join_eui: str, dev_eui: str) -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(join_eui=H(join_eui), dev_eui=H(dev_eui))


async def test_1_1_join_payload_crypto_matches_the_things_stack(start_js: StartJS) -> None:
    # The Things Stack pkg/joinserver/joinserver_test.go, "1.1.0/cluster auth/new device".
    nwk_key = H("4242" + "FF" * 14)
    js = await start_js()
    await js.put_device(
        make_device(
            "app-1", "dev-1", "42" + "FF" * 7, "4242" + "FF" * 6, app_key="42" + "FF" * 15, nwk_key=nwk_key.hex()
        )
    )
    stub = joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel)
    ids = _by_euis("42" + "FF" * 7, "4242" + "FF" * 6)
    request = H("00" + "FF" * 7 + "42" + "FF" * 6 + "4242" + "0000")
    mic = await stub.JoinRequestMIC(_payload_request(ids, lorawan_pb2.MAC_V1_1, request), metadata=js.cluster_metadata)
    assert mic.payload == H("5517548E")
    accept = H("20" + "010000" + "FFFF42" + "FFFFFF42" + "FF" + "42")
    accept_mic = await stub.JoinAcceptMIC(
        joinserver_pb2.JoinAcceptMICRequest(
            payload_request=_payload_request(ids, lorawan_pb2.MAC_V1_1, accept),
            join_request_type=lorawan_pb2.JOIN,
            dev_nonce=H("0000"),
        ),
        metadata=js.cluster_metadata,
    )
    assert accept_mic.payload == H("EBCD7459")
    encrypted = await stub.EncryptJoinAccept(
        _payload_request(ids, lorawan_pb2.MAC_V1_1, accept[1:] + accept_mic.payload), metadata=js.cluster_metadata
    )
    assert encrypted.payload == ecb(nwk_key, accept[1:] + accept_mic.payload, decrypt=True)


async def test_1_0_join_payload_crypto_matches_lrwn(start_js: StartJS) -> None:
    # ChirpStack lrwn/src/phy_payload.rs: AppKey 0102..10, JoinEUI 0101.., DevEUI 0202.., DevNonce 771.
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-1", "01" * 8, "02" * 8, app_key="0102030405060708090A0B0C0D0E0F10"))
    stub = joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel)
    ids = identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev-1", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="app-1")
    )
    request = H("00" + "01" * 8 + "02" * 8 + "0303")
    mic = await stub.JoinRequestMIC(
        _payload_request(ids, lorawan_pb2.MAC_V1_0_2, request), metadata=js.cluster_metadata
    )
    assert mic.payload == H("09B97B32")
    accept = H("20" + "010101" + "020202" + "04030201" + "00" + "00")
    accept_mic = await stub.JoinAcceptMIC(
        joinserver_pb2.JoinAcceptMICRequest(
            payload_request=_payload_request(ids, lorawan_pb2.MAC_V1_0_2, accept), join_request_type=lorawan_pb2.JOIN
        ),
        metadata=js.cluster_metadata,
    )
    encrypted = await stub.EncryptJoinAccept(
        _payload_request(ids, lorawan_pb2.MAC_V1_0_2, accept[1:] + accept_mic.payload), metadata=js.cluster_metadata
    )
    assert b"\x20" + encrypted.payload == H("2023CF335489AAE3183C0BE0BAA8DEE5F3")


async def test_rejoin_accept_mic_and_encryption_use_the_js_keys(start_js: StartJS) -> None:
    # brocaar/lorawan backend/joinserver/joinserver_test.go TestRejoinRequest: NwkKey 0102..08 twice,
    # DevEUI 0102..08, JoinEUI 0807..01, RJcount 123; JSIntKey and JSEncKey worked out here from
    # LoRaWAN 1.1 section 6.1.1.3 with plain AES.
    nwk_key = H("01020304050607080102030405060708")
    dev_eui_le = H("0102030405060708")[::-1]
    js_int_key = ecb(nwk_key, b"\x06" + dev_eui_le + bytes(7))
    js_enc_key = ecb(nwk_key, b"\x05" + dev_eui_le + bytes(7))
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-1", "0807060504030201", "0102030405060708", nwk_key=nwk_key.hex()))
    stub = joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel)
    ids = _by_euis("0807060504030201", "0102030405060708")
    accept = H("20" + "000100" + "030201" + "04030201" + "B5" + "01")
    mic = await stub.JoinAcceptMIC(
        joinserver_pb2.JoinAcceptMICRequest(
            payload_request=_payload_request(ids, lorawan_pb2.MAC_V1_1, accept),
            join_request_type=lorawan_pb2.REJOIN_KEYS,
            dev_nonce=(123).to_bytes(2, "big"),
        ),
        metadata=js.cluster_metadata,
    )
    expected_mic = cmac4(js_int_key, b"\x02" + H("0807060504030201")[::-1] + (123).to_bytes(2, "little") + accept)
    assert mic.payload == expected_mic
    encrypted = await stub.EncryptRejoinAccept(
        _payload_request(ids, lorawan_pb2.MAC_V1_1, accept[1:] + mic.payload), metadata=js.cluster_metadata
    )
    assert encrypted.payload == ecb(js_enc_key, accept[1:] + mic.payload, decrypt=True)
    # Rejoin-accepts exist only in 1.1.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.EncryptRejoinAccept(
            _payload_request(ids, lorawan_pb2.MAC_V1_0_3, accept[1:] + mic.payload), metadata=js.cluster_metadata
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unsupported_lorawan_version" in (caught.value.details() or "")


@pytest.mark.parametrize(
    ("ids", "version", "payload", "code", "name"),
    [
        (_by_euis("05" * 8, "06" * 8), lorawan_pb2.MAC_V1_1, bytes(19), grpc.StatusCode.NOT_FOUND, "device_not_found"),
        (
            _by_euis("03" * 8, "04" * 8),
            lorawan_pb2.MAC_V1_1,
            bytes(19),
            grpc.StatusCode.FAILED_PRECONDITION,
            "no_nwk_key",
        ),
        (
            _by_euis("03" * 8, "04" * 8),
            lorawan_pb2.MAC_V1_1,
            bytes(18),
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid_field",
        ),
        (
            identifiers_pb2.EndDeviceIdentifiers(),
            lorawan_pb2.MAC_V1_1,
            bytes(19),
            grpc.StatusCode.INVALID_ARGUMENT,
            "missing_identifiers",
        ),
        (_by_euis("03" * 8, "04" * 8), 99, bytes(19), grpc.StatusCode.INVALID_ARGUMENT, "unsupported_lorawan_version"),
    ],
)
async def test_join_request_mic_refusals(
    start_js: StartJS,
    ids: identifiers_pb2.EndDeviceIdentifiers,
    version: int,
    payload: bytes,
    code: grpc.StatusCode,
    name: str,
) -> None:
    js = await start_js()
    await js.put_device(make_device("app-1", "dev-1", "03" * 8, "04" * 8, app_key="11" * 16))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await joinserver_pb2_grpc.NetworkCryptoServiceStub(js.channel).JoinRequestMIC(
            _payload_request(ids, version, payload), metadata=js.cluster_metadata
        )
    assert caught.value.code() == code
    assert f"pkg/joinserver:{name}" in (caught.value.details() or "")
