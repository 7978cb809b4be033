"""Messages and clients the Application Server tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from lorastack.lorawan.crypto import encrypt_frm_payload
from lorastack.lorawan.devaddr import DevAddr
from lorastack.lorawan.keys import AES128Key
from ttn.lorawan.v3 import identifiers_pb2, messages_pb2, rights_pb2

APP_S_KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
DEV_ADDR = bytes.fromhex("26011BDA")
DEV_EUI = bytes.fromhex("0004A30B001C0530")
JOIN_EUI = bytes.fromhex("70B3D57ED0000000")
TOKEN = "NNSXS.APPKEY.SECRET"
ALL_APP = (rights_pb2.RIGHT_APPLICATION_ALL,)

DECODER = """
function decodeUplink(input) {
  return { data: { temperature: (input.bytes[0] << 8 | input.bytes[1]) / 10, port: input.fPort }, warnings: [] };
}
function encodeDownlink(input) {
  return { bytes: [input.data.level & 0xff], fPort: 7 };
}
function decodeDownlink(input) {
  return { data: { level: input.bytes[0] } };
}
"""


def device_ids(app_id: str, dev_id: str) -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id=dev_id,
        application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=app_id),
        dev_eui=DEV_EUI,
        join_eui=JOIN_EUI,
        dev_addr=DEV_ADDR,
    )


def join_accept(app_id: str, dev_id: str, session_key_id: bytes) -> messages_pb2.ApplicationUp:
    up = messages_pb2.ApplicationUp(end_device_ids=device_ids(app_id, dev_id), correlation_ids=["test:join"])
    up.join_accept.session_key_id = session_key_id
    return up


def uplink(
    app_id: str, dev_id: str, session_key_id: bytes, f_cnt: int, plaintext: bytes, *, f_port: int = 1
) -> messages_pb2.ApplicationUp:
    up = messages_pb2.ApplicationUp(end_device_ids=device_ids(app_id, dev_id), correlation_ids=[f"test:up:{f_cnt}"])
    msg = up.uplink_message
    msg.session_key_id = session_key_id
    msg.f_port = f_port
    msg.f_cnt = f_cnt
    msg.frm_payload = encrypt_frm_payload(AES128Key(APP_S_KEY), DevAddr(DEV_ADDR), f_cnt, plaintext, uplink=True)
    msg.rx_metadata.add().gateway_ids.gateway_id = "gtw-1"
    msg.received_at.GetCurrentTime()
    return up


def decrypt_down(f_cnt: int, payload: bytes) -> bytes:
    return encrypt_frm_payload(AES128Key(APP_S_KEY), DevAddr(DEV_ADDR), f_cnt, payload, uplink=False)


def auth(token: str = TOKEN) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def wait_until(predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
