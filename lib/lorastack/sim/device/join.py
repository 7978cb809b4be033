"""Over-the-air activation from the device's side: the join-request and the join-accept.

LoRaWAN 1.1 sections 6.2.2 to 6.2.5 (1.0.4 sections 6.2.4 to 6.2.6): MICs, join-accept decryption and
session key derivation, including a 1.1 device falling back to 1.0 keys when OptNeg is unset.
"""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.lorawan import (
    MHDR,
    DecodeError,
    DevNonce,
    EncryptedJoinAccept,
    JoinAcceptPayload,
    JoinRequestPayload,
    MType,
    PHYPayload,
    crypto,
    decode_join_accept_plaintext,
    decode_phy_payload,
)
from lorastack.sim.device.profile import DeviceProfile
from lorastack.sim.device.session import DownlinkRejected, Session

__all__ = ["JoinOutcome", "build_join_request", "open_join_accept", "session_from_accept"]


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    session: Session
    accept: JoinAcceptPayload


def build_join_request(profile: DeviceProfile, dev_nonce: int) -> bytes:
    payload = JoinRequestPayload(profile.join_eui, profile.dev_eui, DevNonce.from_int(dev_nonce & 0xFFFF))
    msg = PHYPayload(MHDR(MType.JOIN_REQUEST), payload, b"\x00" * 4).encode_without_mic()
    return msg + crypto.join_request_mic(profile.root_key_for_join, msg)


def open_join_accept(profile: DeviceProfile, dev_nonce: int, frame: bytes) -> JoinOutcome | None:
    """Decrypt and verify a join-accept answering the join-request with ``dev_nonce``.

    Returns None when the frame is not a join-accept; raises DownlinkRejected("mic") when it is one
    but not for this device (or forged).
    """
    try:
        phy = decode_phy_payload(frame)
    except DecodeError:
        return None
    if phy.mhdr.mtype != MType.JOIN_ACCEPT or not isinstance(phy.payload, EncryptedJoinAccept):
        return None
    root = profile.root_key_for_join
    plaintext = frame[:1] + crypto.decrypt_join_accept(root, frame[1:])
    try:
        accept_phy = decode_join_accept_plaintext(plaintext)
    except DecodeError:
        raise DownlinkRejected("mic") from None
    accept = accept_phy.payload
    assert isinstance(accept, JoinAcceptPayload)
    nonce = DevNonce.from_int(dev_nonce & 0xFFFF)
    msg = plaintext[:-4]
    opt_neg = profile.version.is_1_1 and accept.dl_settings.opt_neg
    if opt_neg:
        js_int_key = crypto.derive_js_int_key(root, profile.dev_eui)
        expected = crypto.join_accept_mic_1_1(js_int_key, crypto.JOIN_REQ_TYPE_JOIN, profile.join_eui, nonce, msg)
    else:
        expected = crypto.join_accept_mic_1_0(root, msg)
    if not crypto.mic_equal(expected, accept_phy.mic):
        raise DownlinkRejected("mic")
    return JoinOutcome(session_from_accept(profile, accept, nonce, opt_neg), accept)


def session_from_accept(profile: DeviceProfile, accept: JoinAcceptPayload, nonce: DevNonce, opt_neg: bool) -> Session:
    """The session keys of a join-accept; after a rejoin-accept ``nonce`` is the request's RJcount."""
    root = profile.root_key_for_join
    if opt_neg:
        app_key = profile.app_key
        if app_key is None:
            raise ValueError(f"device {profile.device_id} has no AppKey")
        args = (accept.join_nonce, profile.join_eui, nonce)
        return Session(
            dev_addr=accept.dev_addr,
            app_s_key=crypto.derive_app_s_key_1_1(app_key, *args),
            f_nwk_s_int_key=crypto.derive_f_nwk_s_int_key(root, *args),
            s_nwk_s_int_key=crypto.derive_s_nwk_s_int_key(root, *args),
            nwk_s_enc_key=crypto.derive_nwk_s_enc_key(root, *args),
            lorawan_1_1=True,
        )
    nwk_s_key = crypto.derive_nwk_s_key_1_0(root, accept.join_nonce, accept.net_id, nonce)
    return Session(
        dev_addr=accept.dev_addr,
        app_s_key=crypto.derive_app_s_key_1_0(root, accept.join_nonce, accept.net_id, nonce),
        f_nwk_s_int_key=nwk_s_key,
        s_nwk_s_int_key=nwk_s_key,
        nwk_s_enc_key=nwk_s_key,
        lorawan_1_1=False,
    )
