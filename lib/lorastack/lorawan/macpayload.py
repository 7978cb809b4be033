"""MACPayload of data frames: FHDR, FPort, FRMPayload. LoRaWAN 1.1 section 4.3."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DecodeError, EncodeError
from .fhdr import FHDR, decode_fhdr

__all__ = ["MACPayload", "decode_mac_payload"]


@dataclass(frozen=True, slots=True)
class MACPayload:
    """``frm_payload`` is raw (usually encrypted); it is only present with an FPort."""

    fhdr: FHDR
    f_port: int | None = None
    frm_payload: bytes = b""

    def encode(self, *, uplink: bool) -> bytes:
        head = self.fhdr.encode(uplink=uplink)
        if self.f_port is None:
            if self.frm_payload:
                raise EncodeError("FRMPayload needs an FPort")
            return head
        if not 0 <= self.f_port <= 255:
            raise EncodeError(f"FPort out of range: {self.f_port}")
        if self.f_port == 0 and self.fhdr.f_opts:
            # Section 4.3.1.6: MAC commands go in FOpts or in FRMPayload, never both.
            raise EncodeError("FPort 0 with FOpts")
        return head + bytes((self.f_port,)) + self.frm_payload


def decode_mac_payload(data: bytes, offset: int, end: int, *, uplink: bool) -> MACPayload:
    fhdr, pos = decode_fhdr(data, offset, end, uplink=uplink)
    if pos == end:
        return MACPayload(fhdr)
    f_port = data[pos]
    if f_port == 0 and fhdr.f_opts:
        raise DecodeError("FPort 0 with FOpts: MAC commands in both places", offset=pos)
    return MACPayload(fhdr, f_port, data[pos + 1 : end])
