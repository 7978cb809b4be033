"""Rejoin from the device's side (LoRaWAN 1.1 sections 6.2.4 and 6.2.3): the rejoin-request of types 0 and 2
(signed with the session's SNwkSIntKey) and 1 (signed with JSIntKey), and the rejoin-accept, encrypted with
JSEncKey and signed with JSIntKey over JoinReqType | JoinEUI | RJcount | MHDR | payload."""

from __future__ import annotations

from dataclasses import dataclass

from lorastack.lorawan import (
    MHDR,
    AES128Key,
    DecodeError,
    DevNonce,
    EncryptedJoinAccept,
    JoinAcceptPayload,
    MType,
    NetID,
    PHYPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
    crypto,
    decode_join_accept_plaintext,
    decode_phy_payload,
)
from lorastack.sim.device.join import JoinOutcome, session_from_accept
from lorastack.sim.device.profile import DeviceProfile
from lorastack.sim.device.session import DownlinkRejected, Session

__all__ = ["SentRejoin", "build_rejoin_request", "open_rejoin_accept"]


@dataclass(frozen=True, slots=True)
class SentRejoin:
    """The rejoin-request whose accept the device waits for."""

    rejoin_type: int
    rj_count: int


def _nwk_key(profile: DeviceProfile) -> AES128Key:
    if not profile.version.is_1_1 or profile.nwk_key is None:
        raise ValueError(f"device {profile.device_id} is not a LoRaWAN 1.1 OTAA device with a NwkKey")
    return profile.nwk_key


def build_rejoin_request(
    profile: DeviceProfile, sent: SentRejoin, *, session: Session | None = None, net_id: NetID | None = None
) -> bytes:
    """Types 0 and 2 need the current ``session`` and the ``net_id`` of its join-accept."""
    root = _nwk_key(profile)
    if sent.rejoin_type == 1:
        payload: RejoinRequest02Payload | RejoinRequest1Payload = RejoinRequest1Payload(
            profile.join_eui, profile.dev_eui, sent.rj_count
        )
        key = crypto.derive_js_int_key(root, profile.dev_eui)
    else:
        if session is None or net_id is None:
            raise ValueError("a rejoin-request of type 0 or 2 needs the current session and NetID")
        payload = RejoinRequest02Payload(sent.rejoin_type, net_id, profile.dev_eui, sent.rj_count)
        key = session.s_nwk_s_int_key
    msg = PHYPayload(MHDR(MType.REJOIN_REQUEST), payload, b"\x00" * 4).encode_without_mic()
    return msg + crypto.rejoin_request_mic(key, msg)


def open_rejoin_accept(profile: DeviceProfile, sent: SentRejoin, frame: bytes) -> JoinOutcome | None:
    """Decrypt and verify the accept of ``sent``; None when the frame is no join-accept, DownlinkRejected
    ("mic") when it is one that does not answer this request."""
    try:
        phy = decode_phy_payload(frame)
    except DecodeError:
        return None
    if phy.mhdr.mtype != MType.JOIN_ACCEPT or not isinstance(phy.payload, EncryptedJoinAccept):
        return None
    root = _nwk_key(profile)
    enc_key = crypto.derive_js_enc_key(root, profile.dev_eui)
    plaintext = frame[:1] + crypto.decrypt_join_accept(enc_key, frame[1:])
    try:
        accept_phy = decode_join_accept_plaintext(plaintext)
    except DecodeError:
        raise DownlinkRejected("mic") from None
    accept = accept_phy.payload
    assert isinstance(accept, JoinAcceptPayload)
    # The RJcount takes the DevNonce's place in the MIC and in the session keys.
    nonce = DevNonce.from_int(sent.rj_count)
    js_int_key = crypto.derive_js_int_key(root, profile.dev_eui)
    expected = crypto.join_accept_mic_1_1(js_int_key, sent.rejoin_type, profile.join_eui, nonce, plaintext[:-4])
    if not crypto.mic_equal(expected, accept_phy.mic):
        raise DownlinkRejected("mic")
    return JoinOutcome(session_from_accept(profile, accept, nonce, opt_neg=True), accept)
