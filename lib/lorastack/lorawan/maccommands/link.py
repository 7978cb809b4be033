"""Link and device status MAC commands: ResetInd/Conf, LinkCheck, LinkADR, DutyCycle, DevStatus.

LoRaWAN 1.1 sections 5.1 to 5.5 (1.0.4 sections 5.1 to 5.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from .base import FlagsCommand, MACCommand, MinorVersionCommand, check_range, register

__all__ = [
    "DevStatusAns",
    "DevStatusReq",
    "DutyCycleAns",
    "DutyCycleReq",
    "LinkADRAns",
    "LinkADRReq",
    "LinkCheckAns",
    "LinkCheckReq",
    "ResetConf",
    "ResetInd",
]


@register
@dataclass(frozen=True, slots=True)
class ResetInd(MinorVersionCommand):
    """An ABP 1.1 device announces a reset; ``minor`` is its LoRaWAN minor version (1 = 1.1)."""

    CID: ClassVar[int] = 0x01
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class ResetConf(MinorVersionCommand):
    """The server's answer to ResetInd; ``minor`` is the server's version."""

    CID: ClassVar[int] = 0x01
    UPLINK: ClassVar[bool] = False


@register
@dataclass(frozen=True, slots=True)
class LinkCheckReq(MACCommand):
    CID: ClassVar[int] = 0x02
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class LinkCheckAns(MACCommand):
    """``margin``: dB above the demodulation floor of the best reception; ``gw_cnt``: gateways."""

    CID: ClassVar[int] = 0x02
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 2
    margin: int = 0
    gw_cnt: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Margin", self.margin, 0, 255), check_range("GwCnt", self.gw_cnt, 0, 255)))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0], data[1])


@register
@dataclass(frozen=True, slots=True)
class LinkADRReq(MACCommand):
    """``ch_mask`` bit i enables channel i of the block ``ch_mask_cntl`` selects."""

    CID: ClassVar[int] = 0x03
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 4
    data_rate: int = 0
    tx_power: int = 0
    ch_mask: int = 0
    ch_mask_cntl: int = 0
    nb_trans: int = 0

    def payload(self) -> bytes:
        dr_power = check_range("DataRate", self.data_rate, 0, 15) << 4 | check_range("TXPower", self.tx_power, 0, 15)
        redundancy = check_range("ChMaskCntl", self.ch_mask_cntl, 0, 7) << 4 | check_range(
            "NbTrans", self.nb_trans, 0, 15
        )
        return (
            bytes((dr_power,))
            + check_range("ChMask", self.ch_mask, 0, 0xFFFF).to_bytes(2, "little")
            + bytes((redundancy,))
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] >> 4, data[0] & 0x0F, data[1] | data[2] << 8, (data[3] >> 4) & 0x07, data[3] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class LinkADRAns(FlagsCommand):
    CID: ClassVar[int] = 0x03
    UPLINK: ClassVar[bool] = True
    channel_mask_ack: bool = False
    data_rate_ack: bool = False
    power_ack: bool = False


@register
@dataclass(frozen=True, slots=True)
class DutyCycleReq(MACCommand):
    """Aggregated duty cycle limit 1 / 2**max_duty_cycle."""

    CID: ClassVar[int] = 0x04
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    max_duty_cycle: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("MaxDutyCycle", self.max_duty_cycle, 0, 15),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class DutyCycleAns(MACCommand):
    CID: ClassVar[int] = 0x04
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class DevStatusReq(MACCommand):
    CID: ClassVar[int] = 0x06
    UPLINK: ClassVar[bool] = False


@register
@dataclass(frozen=True, slots=True)
class DevStatusAns(MACCommand):
    """``battery``: 0 external power, 1..254 level, 255 unknown; ``margin``: SNR in dB, -32..31."""

    CID: ClassVar[int] = 0x06
    UPLINK: ClassVar[bool] = True
    LENGTH: ClassVar[int] = 2
    battery: int = 255
    margin: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Battery", self.battery, 0, 255), check_range("Margin", self.margin, -32, 31) & 0x3F))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        # Margin is a 6-bit two's complement number.
        margin = data[1] & 0x3F
        return cls(data[0], margin - 64 if margin & 0x20 else margin)
