"""Frame header of data frames: DevAddr, FCtrl, FCnt, FOpts. LoRaWAN 1.1 section 4.3.1."""

from __future__ import annotations

from dataclasses import dataclass

from .devaddr import DevAddr
from .errors import DecodeError, EncodeError

__all__ = ["FHDR", "FCtrl", "decode_fhdr"]


@dataclass(frozen=True, slots=True)
class FCtrl:
    """Frame control bits. Bit 4 is ClassB on uplinks and FPending on downlinks; bit 6
    (ADRACKReq) is RFU on downlinks but kept so frames re-encode unchanged."""

    adr: bool = False
    adr_ack_req: bool = False
    ack: bool = False
    class_b: bool = False
    f_pending: bool = False

    def encode(self, f_opts_len: int, *, uplink: bool) -> int:
        if uplink and self.f_pending:
            raise EncodeError("FPending is a downlink bit")
        if not uplink and self.class_b:
            raise EncodeError("ClassB is an uplink bit")
        if not 0 <= f_opts_len <= 15:
            raise EncodeError(f"FOpts holds at most 15 bytes, got {f_opts_len}")
        return (
            (0x80 if self.adr else 0)
            | (0x40 if self.adr_ack_req else 0)
            | (0x20 if self.ack else 0)
            | (0x10 if self.class_b or self.f_pending else 0)
            | f_opts_len
        )


def _fctrl(byte: int, uplink: bool) -> FCtrl:
    bit4 = bool(byte & 0x10)
    return FCtrl(bool(byte & 0x80), bool(byte & 0x40), bool(byte & 0x20), bit4 and uplink, bit4 and not uplink)


# 16 distinct FCtrl values per direction (FOptsLen lives in FHDR): decode by lookup.
_FCTRL_UP = tuple(_fctrl(b << 4, True) for b in range(16))
_FCTRL_DOWN = tuple(_fctrl(b << 4, False) for b in range(16))


@dataclass(frozen=True, slots=True)
class FHDR:
    """``f_cnt`` is the 16 bits on the air; ``f_opts`` the raw (possibly encrypted) bytes."""

    dev_addr: DevAddr
    f_ctrl: FCtrl
    f_cnt: int
    f_opts: bytes = b""

    def encode(self, *, uplink: bool) -> bytes:
        if not 0 <= self.f_cnt <= 0xFFFF:
            raise EncodeError(f"FCnt on the air is 16 bits, got {self.f_cnt}")
        fctrl = self.f_ctrl.encode(len(self.f_opts), uplink=uplink)
        return self.dev_addr.value[::-1] + bytes((fctrl, self.f_cnt & 0xFF, self.f_cnt >> 8)) + self.f_opts


def decode_fhdr(data: bytes, offset: int, end: int, *, uplink: bool) -> tuple[FHDR, int]:
    """Decode the FHDR at ``offset`` of a MACPayload ending at ``end``; returns it and the next offset."""
    if end - offset < 7:
        raise DecodeError("FHDR needs 7 bytes", offset=end)
    fctrl = data[offset + 4]
    f_opts_len = fctrl & 0x0F
    opts_end = offset + 7 + f_opts_len
    if opts_end > end:
        raise DecodeError(f"FOptsLen {f_opts_len} runs past the end of the frame", offset=offset + 4)
    table = _FCTRL_UP if uplink else _FCTRL_DOWN
    fhdr = FHDR(
        DevAddr(data[offset + 3 : offset - 1 if offset else None : -1]),
        table[fctrl >> 4],
        data[offset + 5] | (data[offset + 6] << 8),
        data[offset + 7 : opts_end],
    )
    return fhdr, opts_end
