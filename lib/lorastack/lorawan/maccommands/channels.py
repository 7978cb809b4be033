"""Channel and receive-window MAC commands: RXParamSetup, NewChannel, RXTimingSetup, TxParamSetup,
DlChannel. LoRaWAN 1.1 sections 5.6 to 5.10 (1.0.4 sections 5.6 to 5.10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from ..frequency import decode_frequency, encode_frequency
from .base import FlagsCommand, MACCommand, check_range, register

__all__ = [
    "DlChannelAns",
    "DlChannelReq",
    "NewChannelAns",
    "NewChannelReq",
    "RXParamSetupAns",
    "RXParamSetupReq",
    "RXTimingSetupAns",
    "RXTimingSetupReq",
    "TxParamSetupAns",
    "TxParamSetupReq",
]


@register
@dataclass(frozen=True, slots=True)
class RXParamSetupReq(MACCommand):
    """RX2 frequency (Hz) and data rate, and the RX1 data-rate offset."""

    CID: ClassVar[int] = 0x05
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 4
    rx1_dr_offset: int = 0
    rx2_data_rate: int = 0
    frequency: int = 0

    def payload(self) -> bytes:
        settings = check_range("RX1DRoffset", self.rx1_dr_offset, 0, 7) << 4 | check_range(
            "RX2DataRate", self.rx2_data_rate, 0, 15
        )
        return bytes((settings,)) + encode_frequency(self.frequency)

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls((data[0] >> 4) & 0x07, data[0] & 0x0F, decode_frequency(data, 1))


@register
@dataclass(frozen=True, slots=True)
class RXParamSetupAns(FlagsCommand):
    CID: ClassVar[int] = 0x05
    UPLINK: ClassVar[bool] = True
    channel_ack: bool = False
    rx2_data_rate_ack: bool = False
    rx1_dr_offset_ack: bool = False


@register
@dataclass(frozen=True, slots=True)
class NewChannelReq(MACCommand):
    """Create or change channel ``ch_index``; frequency 0 disables it."""

    CID: ClassVar[int] = 0x07
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 5
    ch_index: int = 0
    frequency: int = 0
    min_data_rate: int = 0
    max_data_rate: int = 0

    def payload(self) -> bytes:
        dr_range = check_range("MaxDR", self.max_data_rate, 0, 15) << 4 | check_range(
            "MinDR", self.min_data_rate, 0, 15
        )
        return (
            bytes((check_range("ChIndex", self.ch_index, 0, 255),))
            + encode_frequency(self.frequency)
            + bytes((dr_range,))
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0], decode_frequency(data, 1), data[4] & 0x0F, data[4] >> 4)


@register
@dataclass(frozen=True, slots=True)
class NewChannelAns(FlagsCommand):
    CID: ClassVar[int] = 0x07
    UPLINK: ClassVar[bool] = True
    channel_frequency_ok: bool = False
    data_rate_range_ok: bool = False


@register
@dataclass(frozen=True, slots=True)
class RXTimingSetupReq(MACCommand):
    """RX1 delay in seconds; the value 0 also means 1 second."""

    CID: ClassVar[int] = 0x08
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    delay: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Del", self.delay, 0, 15),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class RXTimingSetupAns(MACCommand):
    CID: ClassVar[int] = 0x08
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class TxParamSetupReq(MACCommand):
    """Dwell-time limits (True: 400 ms) and the MaxEIRP index (RP002 table of EIRP values)."""

    CID: ClassVar[int] = 0x09
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    downlink_dwell_time: bool = False
    uplink_dwell_time: bool = False
    max_eirp: int = 0

    def payload(self) -> bytes:
        return bytes(
            (
                (0x20 if self.downlink_dwell_time else 0)
                | (0x10 if self.uplink_dwell_time else 0)
                | check_range("MaxEIRP", self.max_eirp, 0, 15),
            )
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(bool(data[0] & 0x20), bool(data[0] & 0x10), data[0] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class TxParamSetupAns(MACCommand):
    CID: ClassVar[int] = 0x09
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class DlChannelReq(MACCommand):
    """Move the RX1 downlink frequency of channel ``ch_index``."""

    CID: ClassVar[int] = 0x0A
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 4
    ch_index: int = 0
    frequency: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("ChIndex", self.ch_index, 0, 255),)) + encode_frequency(self.frequency)

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0], decode_frequency(data, 1))


@register
@dataclass(frozen=True, slots=True)
class DlChannelAns(FlagsCommand):
    CID: ClassVar[int] = 0x0A
    UPLINK: ClassVar[bool] = True
    channel_frequency_ok: bool = False
    uplink_frequency_exists: bool = False
