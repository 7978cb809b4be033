"""PHYPayload: MHDR | payload | MIC for every message type. LoRaWAN 1.1 section 4 and 6.2.

Decoding never re-encodes: MIC checks run over the received bytes (``frame[:-4]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DecodeError, EncodeError
from .join import (
    EncryptedJoinAccept,
    JoinAcceptPayload,
    JoinRequestPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
    decode_join_accept_payload,
    decode_join_request,
    decode_rejoin_request,
)
from .macpayload import MACPayload, decode_mac_payload
from .mhdr import MHDR, MType, decode_mhdr

__all__ = [
    "PHYPayload",
    "Payload",
    "ProprietaryPayload",
    "decode_join_accept_plaintext",
    "decode_phy_payload",
]


@dataclass(frozen=True, slots=True)
class ProprietaryPayload:
    """Everything after the MHDR of a proprietary frame; its format (and MIC) is not LoRaWAN's."""

    data: bytes

    def encode(self) -> bytes:
        return self.data


Payload = (
    JoinRequestPayload
    | JoinAcceptPayload
    | EncryptedJoinAccept
    | RejoinRequest02Payload
    | RejoinRequest1Payload
    | MACPayload
    | ProprietaryPayload
)

_EXPECTED: dict[MType, tuple[type, ...]] = {
    MType.JOIN_REQUEST: (JoinRequestPayload,),
    MType.JOIN_ACCEPT: (JoinAcceptPayload, EncryptedJoinAccept),
    MType.REJOIN_REQUEST: (RejoinRequest02Payload, RejoinRequest1Payload),
    MType.PROPRIETARY: (ProprietaryPayload,),
}


@dataclass(frozen=True, slots=True)
class PHYPayload:
    """A whole frame. ``mic`` is 4 bytes, empty for proprietary frames."""

    mhdr: MHDR
    payload: Payload
    mic: bytes = b""

    def encode_without_mic(self) -> bytes:
        """MHDR | payload: the bytes a MIC is computed over (plaintext form for a join-accept)."""
        mtype = self.mhdr.mtype
        if not isinstance(self.payload, _EXPECTED.get(mtype, (MACPayload,))):
            raise EncodeError(f"{type(self.payload).__name__} cannot be sent as {mtype.name}")
        if isinstance(self.payload, MACPayload):
            body = self.payload.encode(uplink=mtype.is_uplink)
        else:
            body = self.payload.encode()
        return bytes((self.mhdr.encode(),)) + body

    def encode(self) -> bytes:
        if self.mhdr.mtype == MType.PROPRIETARY:
            return self.encode_without_mic() + self.mic
        if len(self.mic) != 4:
            raise EncodeError(f"MIC must be 4 bytes, got {len(self.mic)}")
        return self.encode_without_mic() + self.mic


def decode_phy_payload(frame: bytes) -> PHYPayload:
    """Decode any frame. A join-accept decodes to :class:`EncryptedJoinAccept` (it is sent encrypted)."""
    if not frame:
        raise DecodeError("empty frame", offset=0)
    mhdr = decode_mhdr(frame[0])
    mtype = mhdr.mtype
    if mtype == MType.PROPRIETARY:
        return PHYPayload(mhdr, ProprietaryPayload(frame[1:]))
    end = len(frame) - 4
    if end < 1:
        raise DecodeError(f"frame of {len(frame)} bytes has no room for MHDR and MIC", offset=len(frame))
    payload: Payload
    if mtype.is_data:
        payload = decode_mac_payload(frame, 1, end, uplink=mtype.is_uplink)
    elif mtype == MType.JOIN_REQUEST:
        payload = decode_join_request(frame, 1, end)
    elif mtype == MType.JOIN_ACCEPT:
        if end - 1 not in (12, 28):
            raise DecodeError(f"join-accept must be 17 or 33 bytes, got {len(frame)}", offset=1)
        payload = EncryptedJoinAccept(frame[1:end])
    else:
        payload = decode_rejoin_request(frame, 1, end)
    return PHYPayload(mhdr, payload, frame[end:])


def decode_join_accept_plaintext(plaintext: bytes) -> PHYPayload:
    """Decode MHDR | decrypted join-accept | MIC (what join-accept decryption yields)."""
    if not plaintext:
        raise DecodeError("empty frame", offset=0)
    mhdr = decode_mhdr(plaintext[0])
    if mhdr.mtype != MType.JOIN_ACCEPT:
        raise DecodeError(f"not a join-accept: {mhdr.mtype.name}", offset=0)
    end = len(plaintext) - 4
    return PHYPayload(mhdr, decode_join_accept_payload(plaintext, 1, end), plaintext[end:])
