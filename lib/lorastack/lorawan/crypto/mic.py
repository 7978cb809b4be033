"""Message integrity codes of every frame type, LoRaWAN 1.0.4 section 4.4 and 6.2,
LoRaWAN 1.1 sections 4.4, 6.2.2 to 6.2.5.

Every function takes ``msg`` = the frame's bytes from MHDR up to (not including) the MIC.
"""

from __future__ import annotations

import hmac
import struct

from ..devaddr import DevAddr
from ..eui import EUI64
from ..keys import AES128Key
from ..nonces import DevNonce
from ._primitives import cmac

__all__ = [
    "JOIN_REQ_TYPE_JOIN",
    "data_downlink_mic",
    "data_uplink_mic_1_0",
    "data_uplink_mic_1_1",
    "data_uplink_mic_1_1_f",
    "join_accept_mic_1_0",
    "join_accept_mic_1_1",
    "join_request_mic",
    "mic_equal",
    "rejoin_request_mic",
]

# JoinReqType of a join-accept answering a join-request (rejoins use their rejoin type).
JOIN_REQ_TYPE_JOIN = 0xFF

_B0 = struct.Struct("<BHBBB4sIBB")


def _b_block(conf_fcnt: int, tx_dr: int, tx_ch: int, direction: int, dev_addr: DevAddr, fcnt: int, n: int) -> bytes:
    # B0/B1 of section 4.4: 0x49 | ConfFCnt | TxDr | TxCh | Dir | DevAddr | FCnt (32 bits) | 0x00 | len(msg)
    return _B0.pack(0x49, conf_fcnt & 0xFFFF, tx_dr, tx_ch, direction, dev_addr.value[::-1], fcnt & 0xFFFFFFFF, 0, n)


def mic_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison, so a forger learns nothing from timing."""
    return hmac.compare_digest(a, b)


def join_request_mic(key: AES128Key, msg: bytes) -> bytes:
    """Join-request MIC: AppKey (1.0) or NwkKey (1.1) over MHDR | JoinEUI | DevEUI | DevNonce."""
    return cmac(key, msg)[:4]


def rejoin_request_mic(key: AES128Key, msg: bytes) -> bytes:
    """Rejoin-request MIC: SNwkSIntKey for types 0 and 2, JSIntKey for type 1 (1.1 section 6.2.4)."""
    return cmac(key, msg)[:4]


def join_accept_mic_1_0(key: AES128Key, msg: bytes) -> bytes:
    """Join-accept MIC of 1.0.x, or of 1.1 with OptNeg unset: AppKey/NwkKey over MHDR | payload."""
    return cmac(key, msg)[:4]


def join_accept_mic_1_1(
    js_int_key: AES128Key, join_req_type: int, join_eui: EUI64, dev_nonce: DevNonce, msg: bytes
) -> bytes:
    """Join-accept MIC with OptNeg set (1.1 section 6.2.3): JSIntKey over
    JoinReqType | JoinEUI | DevNonce | MHDR | payload (DevNonce is RJcount for rejoins)."""
    return cmac(js_int_key, bytes((join_req_type,)), join_eui.value[::-1], dev_nonce.value[::-1], msg)[:4]


def data_uplink_mic_1_0(nwk_s_key: AES128Key, dev_addr: DevAddr, fcnt: int, msg: bytes) -> bytes:
    """1.0.x uplink: the first 4 bytes of CMAC(NwkSKey, B0 | msg); ``fcnt`` is the full 32 bits."""
    return cmac(nwk_s_key, _b_block(0, 0, 0, 0, dev_addr, fcnt, len(msg)), msg)[:4]


def data_uplink_mic_1_1_f(f_nwk_s_int_key: AES128Key, dev_addr: DevAddr, fcnt: int, msg: bytes) -> bytes:
    """cmacF[0:2]: the half of a 1.1 uplink MIC that any server holding FNwkSIntKey can check."""
    return cmac(f_nwk_s_int_key, _b_block(0, 0, 0, 0, dev_addr, fcnt, len(msg)), msg)[:2]


def data_uplink_mic_1_1(
    f_nwk_s_int_key: AES128Key,
    s_nwk_s_int_key: AES128Key,
    dev_addr: DevAddr,
    fcnt: int,
    msg: bytes,
    *,
    conf_fcnt: int = 0,
    tx_dr: int = 0,
    tx_ch: int = 0,
) -> bytes:
    """1.1 uplink: cmacS[0:2] | cmacF[0:2]. ``conf_fcnt`` is the FCnt of the confirmed downlink
    being acknowledged (0 unless ACK is set); ``tx_dr``/``tx_ch`` are the uplink's data rate and
    channel indexes."""
    n = len(msg)
    cmac_s = cmac(s_nwk_s_int_key, _b_block(conf_fcnt, tx_dr, tx_ch, 0, dev_addr, fcnt, n), msg)
    cmac_f = cmac(f_nwk_s_int_key, _b_block(0, 0, 0, 0, dev_addr, fcnt, n), msg)
    return cmac_s[:2] + cmac_f[:2]


def data_downlink_mic(key: AES128Key, dev_addr: DevAddr, fcnt: int, msg: bytes, *, conf_fcnt: int = 0) -> bytes:
    """Downlink MIC: NwkSKey (1.0.x, ``conf_fcnt`` 0) or SNwkSIntKey (1.1, ``conf_fcnt`` is the
    FCntUp of the confirmed uplink being acknowledged when ACK is set)."""
    return cmac(key, _b_block(conf_fcnt, 0, 0, 1, dev_addr, fcnt, len(msg)), msg)[:4]
