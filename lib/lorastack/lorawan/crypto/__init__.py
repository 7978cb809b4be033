"""LoRaWAN cryptography: MICs, payload encryption, key derivation (1.0.x and 1.1)."""

from .encryption import decrypt_join_accept, encrypt_fopts, encrypt_frm_payload, encrypt_join_accept
from .keyderivation import (
    derive_app_s_key_1_0,
    derive_app_s_key_1_1,
    derive_f_nwk_s_int_key,
    derive_js_enc_key,
    derive_js_int_key,
    derive_nwk_s_enc_key,
    derive_nwk_s_key_1_0,
    derive_s_nwk_s_int_key,
)
from .mic import (
    JOIN_REQ_TYPE_JOIN,
    data_downlink_mic,
    data_uplink_mic_1_0,
    data_uplink_mic_1_1,
    data_uplink_mic_1_1_f,
    join_accept_mic_1_0,
    join_accept_mic_1_1,
    join_request_mic,
    mic_equal,
    rejoin_request_mic,
)

__all__ = [
    "JOIN_REQ_TYPE_JOIN",
    "data_downlink_mic",
    "data_uplink_mic_1_0",
    "data_uplink_mic_1_1",
    "data_uplink_mic_1_1_f",
    "decrypt_join_accept",
    "derive_app_s_key_1_0",
    "derive_app_s_key_1_1",
    "derive_f_nwk_s_int_key",
    "derive_js_enc_key",
    "derive_js_int_key",
    "derive_nwk_s_enc_key",
    "derive_nwk_s_key_1_0",
    "derive_s_nwk_s_int_key",
    "encrypt_fopts",
    "encrypt_frm_payload",
    "encrypt_join_accept",
    "join_accept_mic_1_0",
    "join_accept_mic_1_1",
    "join_request_mic",
    "mic_equal",
    "rejoin_request_mic",
]
