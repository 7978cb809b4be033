"""Pure join crypto: session key derivation and the encrypted join-accept.

LoRaWAN 1.0.4 section 6.2.5 and LoRaWAN 1.1 sections 6.2.2 and 6.2.3.
"""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.lorawan.cflist import CFList, CFListChannelMasks, CFListFrequencies
from lorastack.lorawan.crypto import (
    JOIN_REQ_TYPE_JOIN,
    derive_app_s_key_1_0,
    derive_app_s_key_1_1,
    derive_f_nwk_s_int_key,
    derive_js_enc_key,
    derive_js_int_key,
    derive_nwk_s_enc_key,
    derive_nwk_s_key_1_0,
    derive_s_nwk_s_int_key,
    encrypt_join_accept,
    join_accept_mic_1_0,
    join_accept_mic_1_1,
)
from lorastack.lorawan.devaddr import DevAddr
from lorastack.lorawan.eui import EUI64
from lorastack.lorawan.join import DLSettings, JoinAcceptPayload
from lorastack.lorawan.keys import AES128Key
from lorastack.lorawan.mhdr import MHDR, MType
from lorastack.lorawan.netid import NetID
from lorastack.lorawan.nonces import DevNonce, JoinNonce
from ttn.lorawan.v3 import lorawan_pb2

__all__ = ["JoinContext", "SessionKeySet", "build_join_accept", "cflist_from_proto", "derive_session_keys"]


@dataclass(frozen=True, slots=True, repr=False)
class SessionKeySet:
    """Derived session keys; for 1.0.x the three network keys are all the NwkSKey."""

    f_nwk_s_int_key: bytes
    s_nwk_s_int_key: bytes
    nwk_s_enc_key: bytes
    app_s_key: bytes

    def __repr__(self) -> str:
        return "SessionKeySet(<hidden>)"


@dataclass(frozen=True, slots=True, repr=False)
class JoinContext:
    """Everything one join-accept depends on. ``lorawan_1_1`` selects keys, MIC and derivation.

    Answering a rejoin-request (1.1 only), ``join_req_type`` is its rejoin type and ``dev_nonce``
    its RJcount, which takes the DevNonce's place in the MIC and the key derivation.
    """

    lorawan_1_1: bool
    app_key: bytes
    nwk_key: bytes
    join_eui: bytes
    dev_eui: bytes
    dev_nonce: int
    join_nonce: int
    net_id: bytes
    dev_addr: bytes
    dl_settings: DLSettings
    rx_delay: int
    cflist: CFList | None
    join_req_type: int = JOIN_REQ_TYPE_JOIN

    def __repr__(self) -> str:
        return f"JoinContext(lorawan_1_1={self.lorawan_1_1}, join_nonce={self.join_nonce})"


def cflist_from_proto(message: lorawan_pb2.CFList) -> CFList:
    """The CFList an NS asks for; frequencies travel in units of 100 Hz."""
    if message.type == lorawan_pb2.CFListType.CHANNEL_MASKS:
        masks = []
        bits = list(message.ch_masks)
        for start in range(0, len(bits), 16):
            masks.append(sum(1 << i for i, on in enumerate(bits[start : start + 16]) if on))
        return CFListChannelMasks(tuple(masks))
    return CFListFrequencies(tuple(100 * f for f in message.freq))


def derive_session_keys(ctx: JoinContext) -> SessionKeySet:
    join_nonce = JoinNonce.from_int(ctx.join_nonce)
    dev_nonce = DevNonce.from_int(ctx.dev_nonce)
    if ctx.lorawan_1_1:
        nwk_key = AES128Key(ctx.nwk_key)
        join_eui = EUI64(ctx.join_eui)
        return SessionKeySet(
            f_nwk_s_int_key=derive_f_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce).value,
            s_nwk_s_int_key=derive_s_nwk_s_int_key(nwk_key, join_nonce, join_eui, dev_nonce).value,
            nwk_s_enc_key=derive_nwk_s_enc_key(nwk_key, join_nonce, join_eui, dev_nonce).value,
            app_s_key=derive_app_s_key_1_1(AES128Key(ctx.app_key), join_nonce, join_eui, dev_nonce).value,
        )
    app_key = AES128Key(ctx.app_key)
    net_id = NetID(ctx.net_id)
    nwk_s_key = derive_nwk_s_key_1_0(app_key, join_nonce, net_id, dev_nonce).value
    return SessionKeySet(
        f_nwk_s_int_key=nwk_s_key,
        s_nwk_s_int_key=nwk_s_key,
        nwk_s_enc_key=nwk_s_key,
        app_s_key=derive_app_s_key_1_0(app_key, join_nonce, net_id, dev_nonce).value,
    )


def build_join_accept(ctx: JoinContext) -> bytes:
    """MHDR | encrypted(payload | MIC): the frame the NS transmits."""
    payload = JoinAcceptPayload(
        join_nonce=JoinNonce.from_int(ctx.join_nonce),
        net_id=NetID(ctx.net_id),
        dev_addr=DevAddr(ctx.dev_addr),
        dl_settings=ctx.dl_settings,
        rx_delay=ctx.rx_delay,
        cflist=ctx.cflist,
    )
    mhdr = bytes((MHDR(MType.JOIN_ACCEPT).encode(),))
    signed = mhdr + payload.encode()
    if ctx.lorawan_1_1:
        nwk_key = AES128Key(ctx.nwk_key)
        js_int_key = derive_js_int_key(nwk_key, EUI64(ctx.dev_eui))
        mic = join_accept_mic_1_1(
            js_int_key, ctx.join_req_type, EUI64(ctx.join_eui), DevNonce.from_int(ctx.dev_nonce), signed
        )
        # A rejoin-accept is encrypted with JSEncKey (1.1 section 6.2.3).
        rejoin = ctx.join_req_type != JOIN_REQ_TYPE_JOIN
        key = derive_js_enc_key(nwk_key, EUI64(ctx.dev_eui)) if rejoin else nwk_key
    else:
        key = AES128Key(ctx.app_key)
        mic = join_accept_mic_1_0(key, signed)
    return mhdr + encrypt_join_accept(key, signed[1:] + mic)
