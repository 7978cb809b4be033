"""Class B MAC commands: PingSlotInfo, PingSlotChannel, BeaconTiming (deprecated since 1.0.3, kept
for 1.0.2 class B devices) and BeaconFreq. LoRaWAN 1.1 / 1.0.4 class B chapter, section 12."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from ..frequency import decode_frequency, encode_frequency
from .base import FlagsCommand, MACCommand, check_range, register

__all__ = [
    "BeaconFreqAns",
    "BeaconFreqReq",
    "BeaconTimingAns",
    "BeaconTimingReq",
    "PingSlotChannelAns",
    "PingSlotChannelReq",
    "PingSlotInfoAns",
    "PingSlotInfoReq",
]


@register
@dataclass(frozen=True, slots=True)
class PingSlotInfoReq(MACCommand):
    """The device opens a ping slot every 2**periodicity seconds."""

    CID: ClassVar[int] = 0x10
    UPLINK: ClassVar[bool] = True
    LENGTH: ClassVar[int] = 1
    periodicity: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Periodicity", self.periodicity, 0, 7),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] & 0x07)


@register
@dataclass(frozen=True, slots=True)
class PingSlotInfoAns(MACCommand):
    CID: ClassVar[int] = 0x10
    UPLINK: ClassVar[bool] = False


@register
@dataclass(frozen=True, slots=True)
class PingSlotChannelReq(MACCommand):
    """Ping-slot frequency in Hz (0: back to the regional default) and data rate."""

    CID: ClassVar[int] = 0x11
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 4
    frequency: int = 0
    data_rate: int = 0

    def payload(self) -> bytes:
        return encode_frequency(self.frequency) + bytes((check_range("DR", self.data_rate, 0, 15),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(decode_frequency(data, 0), data[3] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class PingSlotChannelAns(FlagsCommand):
    CID: ClassVar[int] = 0x11
    UPLINK: ClassVar[bool] = True
    channel_frequency_ok: bool = False
    data_rate_ok: bool = False


@register
@dataclass(frozen=True, slots=True)
class BeaconTimingReq(MACCommand):
    CID: ClassVar[int] = 0x12
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class BeaconTimingAns(MACCommand):
    """Next beacon in ``delay`` * 30 ms after the end of this downlink, on beacon channel ``channel``."""

    CID: ClassVar[int] = 0x12
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 3
    delay: int = 0
    channel: int = 0

    def payload(self) -> bytes:
        return check_range("Delay", self.delay, 0, 0xFFFF).to_bytes(2, "little") + bytes(
            (check_range("Channel", self.channel, 0, 255),)
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] | data[1] << 8, data[2])


@register
@dataclass(frozen=True, slots=True)
class BeaconFreqReq(MACCommand):
    """Beacon frequency in Hz; 0 restores the regional default."""

    CID: ClassVar[int] = 0x13
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 3
    frequency: int = 0

    def payload(self) -> bytes:
        return encode_frequency(self.frequency)

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(decode_frequency(data, 0))


@register
@dataclass(frozen=True, slots=True)
class BeaconFreqAns(FlagsCommand):
    CID: ClassVar[int] = 0x13
    UPLINK: ClassVar[bool] = True
    beacon_frequency_ok: bool = False
