"""Join-request, rejoin-request (types 0, 1, 2) and join-accept payloads with DLSettings.

LoRaWAN 1.1 sections 6.2.2 to 6.2.4 (1.0.4 sections 6.2.4 and 6.2.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from .cflist import CFList, decode_cflist
from .devaddr import DevAddr
from .errors import DecodeError, EncodeError
from .eui import EUI64
from .netid import NetID
from .nonces import DevNonce, JoinNonce

__all__ = [
    "DLSettings",
    "EncryptedJoinAccept",
    "JoinAcceptPayload",
    "JoinRequestPayload",
    "RejoinRequest02Payload",
    "RejoinRequest1Payload",
    "decode_join_accept_payload",
    "decode_join_request",
    "decode_rejoin_request",
]


@dataclass(frozen=True, slots=True)
class JoinRequestPayload:
    join_eui: EUI64
    dev_eui: EUI64
    dev_nonce: DevNonce

    def encode(self) -> bytes:
        return self.join_eui.to_le() + self.dev_eui.to_le() + self.dev_nonce.to_le()


def decode_join_request(data: bytes, offset: int, end: int) -> JoinRequestPayload:
    if end - offset != 18:
        raise DecodeError(f"join-request payload must be 18 bytes, got {end - offset}", offset=offset)
    return JoinRequestPayload(
        EUI64.from_le(data, offset), EUI64.from_le(data, offset + 8), DevNonce.from_le(data, offset + 16)
    )


@dataclass(frozen=True, slots=True)
class RejoinRequest02Payload:
    """Rejoin type 0 (session keep-alive / reset) or 2 (rekey); counted by RJcount0."""

    rejoin_type: int
    net_id: NetID
    dev_eui: EUI64
    rj_count0: int

    def encode(self) -> bytes:
        if self.rejoin_type not in (0, 2):
            raise EncodeError(f"rejoin type {self.rejoin_type} does not carry a NetID")
        if not 0 <= self.rj_count0 <= 0xFFFF:
            raise EncodeError(f"RJcount0 out of range: {self.rj_count0}")
        return (
            bytes((self.rejoin_type,))
            + self.net_id.to_le()
            + self.dev_eui.to_le()
            + self.rj_count0.to_bytes(2, "little")
        )


@dataclass(frozen=True, slots=True)
class RejoinRequest1Payload:
    """Rejoin type 1 (restore a lost session), counted by RJcount1."""

    join_eui: EUI64
    dev_eui: EUI64
    rj_count1: int

    @property
    def rejoin_type(self) -> int:
        return 1

    def encode(self) -> bytes:
        if not 0 <= self.rj_count1 <= 0xFFFF:
            raise EncodeError(f"RJcount1 out of range: {self.rj_count1}")
        return b"\x01" + self.join_eui.to_le() + self.dev_eui.to_le() + self.rj_count1.to_bytes(2, "little")


def decode_rejoin_request(data: bytes, offset: int, end: int) -> RejoinRequest02Payload | RejoinRequest1Payload:
    if end <= offset:
        raise DecodeError("rejoin-request needs a RejoinType", offset=offset)
    rejoin_type = data[offset]
    size = end - offset
    if rejoin_type in (0, 2):
        if size != 14:
            raise DecodeError(f"rejoin-request type {rejoin_type} must be 14 bytes, got {size}", offset=offset)
        return RejoinRequest02Payload(
            rejoin_type,
            NetID.from_le(data, offset + 1),
            EUI64.from_le(data, offset + 4),
            data[offset + 12] | (data[offset + 13] << 8),
        )
    if rejoin_type == 1:
        if size != 19:
            raise DecodeError(f"rejoin-request type 1 must be 19 bytes, got {size}", offset=offset)
        return RejoinRequest1Payload(
            EUI64.from_le(data, offset + 1),
            EUI64.from_le(data, offset + 9),
            data[offset + 17] | (data[offset + 18] << 8),
        )
    raise DecodeError(f"unknown rejoin type {rejoin_type}", offset=offset)


@dataclass(frozen=True, slots=True)
class DLSettings:
    """OptNeg (1.1 only: the server speaks 1.1), RX1 data-rate offset, RX2 data rate."""

    rx1_dr_offset: int = 0
    rx2_dr: int = 0
    opt_neg: bool = False

    def encode(self) -> int:
        if not 0 <= self.rx1_dr_offset <= 7 or not 0 <= self.rx2_dr <= 15:
            raise EncodeError(f"DLSettings out of range: {self}")
        return (0x80 if self.opt_neg else 0) | (self.rx1_dr_offset << 4) | self.rx2_dr

    @staticmethod
    def decode(byte: int) -> DLSettings:
        return DLSettings((byte >> 4) & 0x07, byte & 0x0F, bool(byte & 0x80))


@dataclass(frozen=True, slots=True)
class JoinAcceptPayload:
    """The decrypted join-accept. ``rx_delay`` is the raw RxDelay byte (0 means 1 second)."""

    join_nonce: JoinNonce
    net_id: NetID
    dev_addr: DevAddr
    dl_settings: DLSettings
    rx_delay: int
    cflist: CFList | None = None

    def encode(self) -> bytes:
        if not 0 <= self.rx_delay <= 0xFF:
            raise EncodeError(f"RxDelay out of range: {self.rx_delay}")
        head = (
            self.join_nonce.to_le()
            + self.net_id.to_le()
            + self.dev_addr.to_le()
            + bytes((self.dl_settings.encode(), self.rx_delay))
        )
        return head if self.cflist is None else head + self.cflist.encode()


def decode_join_accept_payload(data: bytes, offset: int, end: int) -> JoinAcceptPayload:
    """Decode a decrypted join-accept payload (without MIC) of 12 or 28 bytes."""
    size = end - offset
    if size not in (12, 28):
        raise DecodeError(f"join-accept payload must be 12 or 28 bytes, got {size}", offset=offset)
    return JoinAcceptPayload(
        JoinNonce.from_le(data, offset),
        NetID.from_le(data, offset + 3),
        DevAddr.from_le(data, offset + 6),
        DLSettings.decode(data[offset + 10]),
        data[offset + 11],
        decode_cflist(data, offset + 12) if size == 28 else None,
    )


@dataclass(frozen=True, slots=True)
class EncryptedJoinAccept:
    """A join-accept as it travels: ciphertext without its last 4 bytes (which sit in the MIC slot)."""

    ciphertext: bytes

    def encode(self) -> bytes:
        if len(self.ciphertext) not in (12, 28):
            raise EncodeError(f"encrypted join-accept must be 12 or 28 bytes, got {len(self.ciphertext)}")
        return self.ciphertext
