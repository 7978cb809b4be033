"""FRMPayload, FOpts and join-accept encryption.

LoRaWAN 1.0.4 section 4.3.3, LoRaWAN 1.1 sections 4.3.1.6, 4.3.3 and 6.2.3, and the 2018 LoRaWAN 1.1
errata "FOpts encryption, usage of FCntDwn" (adopted by 1.1.1 implementations).
"""

from __future__ import annotations

import struct

from ..devaddr import DevAddr
from ..errors import DecodeError, EncodeError
from ..keys import AES128Key
from ._primitives import aes_decrypt_blocks, aes_encrypt_blocks

__all__ = [
    "decrypt_join_accept",
    "encrypt_fopts",
    "encrypt_frm_payload",
    "encrypt_join_accept",
]

_A = struct.Struct("<B3xBB4sIxB")


def _xor(data: bytes, stream: bytes) -> bytes:
    n = len(data)
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream[:n], "little")).to_bytes(n, "little")


def encrypt_frm_payload(key: AES128Key, dev_addr: DevAddr, fcnt: int, data: bytes, *, uplink: bool) -> bytes:
    """Encrypt or decrypt (the same operation) an FRMPayload with AES-CTR-like A_i blocks.

    ``key``: AppSKey for FPort > 0; NwkSKey (1.0) or NwkSEncKey (1.1) for FPort 0.
    ``fcnt``: the full 32-bit FCntUp, NFCntDown or AFCntDown of the frame.
    """
    if not data:
        return b""
    direction = 0 if uplink else 1
    addr = dev_addr.value[::-1]
    fcnt &= 0xFFFFFFFF
    count = (len(data) + 15) // 16
    if count > 255:
        raise EncodeError(f"FRMPayload too long: {len(data)} bytes")
    blocks = b"".join(struct.pack("<B4xB4sIxB", 0x01, direction, addr, fcnt, i) for i in range(1, count + 1))
    return _xor(data, aes_encrypt_blocks(key, blocks))


def encrypt_fopts(
    nwk_s_enc_key: AES128Key,
    dev_addr: DevAddr,
    fcnt: int,
    data: bytes,
    *,
    uplink: bool,
    a_fcnt_down: bool = False,
    errata: bool = True,
) -> bytes:
    """Encrypt or decrypt LoRaWAN 1.1 FOpts with NwkSEncKey (1.0.x never encrypts FOpts).

    Which counter goes in ``fcnt``:

    * uplink: FCntUp;
    * downlink without FPort (or FPort 0): NFCntDown;
    * downlink with FPort > 0: per the errata (``errata=True``), the frame's AFCntDown with
      ``a_fcnt_down=True``; per the original 1.1 text (``errata=False``), the last NFCntDown.

    The errata block is A1 = 0x01 | 0x00000001 (FCntUp/NFCntDown) or 0x00000002 (AFCntDown) |
    Dir | DevAddr | FCnt | 0x00 | 0x01, keeping FOpts and FRMPayload key streams apart; the
    original 1.1 block has zeros in both places.
    """
    if len(data) > 15:
        raise EncodeError(f"FOpts holds at most 15 bytes, got {len(data)}")
    if not data:
        return b""
    if a_fcnt_down and (uplink or not errata):
        raise EncodeError("AFCntDown only keys downlink FOpts under the 1.1 errata")
    counter_kind = (2 if a_fcnt_down else 1) if errata else 0
    block = _A.pack(0x01, counter_kind, 0 if uplink else 1, dev_addr.value[::-1], fcnt & 0xFFFFFFFF, 1 if errata else 0)
    return _xor(data, aes_encrypt_blocks(nwk_s_enc_key, block))


def encrypt_join_accept(key: AES128Key, plaintext: bytes) -> bytes:
    """Encrypt join-accept payload | MIC (16 or 32 bytes). The device only has AES encryption,
    so the server encrypts with AES *decryption* (1.1 section 6.2.3). Key: AppKey (1.0),
    NwkKey (1.1 join-request) or JSEncKey (1.1 rejoin-request)."""
    if len(plaintext) not in (16, 32):
        raise EncodeError(f"join-accept payload with MIC must be 16 or 32 bytes, got {len(plaintext)}")
    return aes_decrypt_blocks(key, plaintext)


def decrypt_join_accept(key: AES128Key, ciphertext: bytes) -> bytes:
    """Inverse of :func:`encrypt_join_accept`: returns join-accept payload | MIC."""
    if len(ciphertext) not in (16, 32):
        raise DecodeError(f"encrypted join-accept must be 16 or 32 bytes, got {len(ciphertext)}")
    return aes_encrypt_blocks(key, ciphertext)
