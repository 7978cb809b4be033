"""Session and Join Server key derivation.

LoRaWAN 1.0.4 section 6.2.5 (NwkSKey, AppSKey) and LoRaWAN 1.1 sections 6.2.3 (FNwkSIntKey,
SNwkSIntKey, NwkSEncKey, AppSKey) and 6.2.2 (JSIntKey, JSEncKey).
"""

from __future__ import annotations

from ..eui import EUI64
from ..keys import AES128Key
from ..netid import NetID
from ..nonces import DevNonce, JoinNonce
from ._primitives import aes_encrypt_blocks

__all__ = [
    "derive_app_s_key_1_0",
    "derive_app_s_key_1_1",
    "derive_f_nwk_s_int_key",
    "derive_js_enc_key",
    "derive_js_int_key",
    "derive_nwk_s_enc_key",
    "derive_nwk_s_key_1_0",
    "derive_s_nwk_s_int_key",
]


def _derive(key: AES128Key, prefix: int, *fields: bytes) -> AES128Key:
    block = bytes((prefix,)) + b"".join(fields)
    return AES128Key(aes_encrypt_blocks(key, block.ljust(16, b"\x00")))


def _session_1_0(
    prefix: int, app_key: AES128Key, join_nonce: JoinNonce, net_id: NetID, dev_nonce: DevNonce
) -> AES128Key:
    # prefix | AppNonce | NetID | DevNonce | pad16, all little-endian
    return _derive(app_key, prefix, join_nonce.to_le(), net_id.to_le(), dev_nonce.to_le())


def _session_1_1(prefix: int, key: AES128Key, join_nonce: JoinNonce, join_eui: EUI64, dev_nonce: DevNonce) -> AES128Key:
    # prefix | JoinNonce | JoinEUI | DevNonce | pad16, all little-endian
    return _derive(key, prefix, join_nonce.to_le(), join_eui.to_le(), dev_nonce.to_le())


def derive_nwk_s_key_1_0(app_key: AES128Key, join_nonce: JoinNonce, net_id: NetID, dev_nonce: DevNonce) -> AES128Key:
    """NwkSKey of 1.0.x; 1.1 devices with OptNeg unset use it as FNwkSIntKey, SNwkSIntKey and NwkSEncKey."""
    return _session_1_0(0x01, app_key, join_nonce, net_id, dev_nonce)


def derive_app_s_key_1_0(app_key: AES128Key, join_nonce: JoinNonce, net_id: NetID, dev_nonce: DevNonce) -> AES128Key:
    return _session_1_0(0x02, app_key, join_nonce, net_id, dev_nonce)


def derive_f_nwk_s_int_key(
    nwk_key: AES128Key, join_nonce: JoinNonce, join_eui: EUI64, dev_nonce: DevNonce
) -> AES128Key:
    return _session_1_1(0x01, nwk_key, join_nonce, join_eui, dev_nonce)


def derive_app_s_key_1_1(app_key: AES128Key, join_nonce: JoinNonce, join_eui: EUI64, dev_nonce: DevNonce) -> AES128Key:
    return _session_1_1(0x02, app_key, join_nonce, join_eui, dev_nonce)


def derive_s_nwk_s_int_key(
    nwk_key: AES128Key, join_nonce: JoinNonce, join_eui: EUI64, dev_nonce: DevNonce
) -> AES128Key:
    return _session_1_1(0x03, nwk_key, join_nonce, join_eui, dev_nonce)


def derive_nwk_s_enc_key(nwk_key: AES128Key, join_nonce: JoinNonce, join_eui: EUI64, dev_nonce: DevNonce) -> AES128Key:
    return _session_1_1(0x04, nwk_key, join_nonce, join_eui, dev_nonce)


def derive_js_enc_key(nwk_key: AES128Key, dev_eui: EUI64) -> AES128Key:
    """Key that encrypts join-accepts answering rejoin-requests."""
    return _derive(nwk_key, 0x05, dev_eui.to_le())


def derive_js_int_key(nwk_key: AES128Key, dev_eui: EUI64) -> AES128Key:
    """Key of the 1.1 join-accept MIC and the rejoin type 1 MIC."""
    return _derive(nwk_key, 0x06, dev_eui.to_le())
