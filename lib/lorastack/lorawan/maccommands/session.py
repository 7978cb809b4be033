"""Session and join-related MAC commands of LoRaWAN 1.1: RekeyInd/Conf, ADRParamSetup, DeviceTime,
ForceRejoinReq, RejoinParamSetup; and DeviceModeInd/Conf (class C switch, LoRaWAN 1.1 section
5.11 to 5.16 and 1.0.4 section 5.9, DeviceMode from the class C chapter of 1.1, section 18)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from .base import FlagsCommand, MACCommand, MinorVersionCommand, check_range, register

__all__ = [
    "ADRParamSetupAns",
    "ADRParamSetupReq",
    "DeviceModeConf",
    "DeviceModeInd",
    "DeviceTimeAns",
    "DeviceTimeReq",
    "ForceRejoinReq",
    "RejoinParamSetupAns",
    "RejoinParamSetupReq",
    "RekeyConf",
    "RekeyInd",
]


@register
@dataclass(frozen=True, slots=True)
class RekeyInd(MinorVersionCommand):
    """An OTAA 1.1 device confirms its new session keys; ``minor`` is its LoRaWAN minor version."""

    CID: ClassVar[int] = 0x0B
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class RekeyConf(MinorVersionCommand):
    CID: ClassVar[int] = 0x0B
    UPLINK: ClassVar[bool] = False


@register
@dataclass(frozen=True, slots=True)
class ADRParamSetupReq(MACCommand):
    """ADR_ACK_LIMIT = 2**limit_exp and ADR_ACK_DELAY = 2**delay_exp."""

    CID: ClassVar[int] = 0x0C
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    limit_exp: int = 0
    delay_exp: int = 0

    def payload(self) -> bytes:
        return bytes(
            (check_range("Limit_exp", self.limit_exp, 0, 15) << 4 | check_range("Delay_exp", self.delay_exp, 0, 15),)
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] >> 4, data[0] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class ADRParamSetupAns(MACCommand):
    CID: ClassVar[int] = 0x0C
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class DeviceTimeReq(MACCommand):
    CID: ClassVar[int] = 0x0D
    UPLINK: ClassVar[bool] = True


@register
@dataclass(frozen=True, slots=True)
class DeviceTimeAns(MACCommand):
    """GPS time at the end of the uplink: whole ``seconds`` since the GPS epoch plus
    ``fractional`` 1/256 s steps."""

    CID: ClassVar[int] = 0x0D
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 5
    seconds: int = 0
    fractional: int = 0

    @property
    def gps_time(self) -> float:
        return self.seconds + self.fractional / 256

    def payload(self) -> bytes:
        return check_range("seconds", self.seconds, 0, 0xFFFFFFFF).to_bytes(4, "little") + bytes(
            (check_range("fractional", self.fractional, 0, 255),)
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(int.from_bytes(data[:4], "little"), data[4])


@register
@dataclass(frozen=True, slots=True)
class ForceRejoinReq(MACCommand):
    """Ask the device to send rejoin-requests of ``rejoin_type`` at ``data_rate``, up to
    ``max_retries`` + 1 times, 32 s * 2**period + random apart."""

    CID: ClassVar[int] = 0x0E
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 2
    period: int = 0
    max_retries: int = 0
    rejoin_type: int = 0
    data_rate: int = 0

    def payload(self) -> bytes:
        value = (
            check_range("Period", self.period, 0, 7) << 11
            | check_range("Max_Retries", self.max_retries, 0, 7) << 8
            | check_range("RejoinType", self.rejoin_type, 0, 7) << 4
            | check_range("DR", self.data_rate, 0, 15)
        )
        return value.to_bytes(2, "little")

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        value = data[0] | data[1] << 8
        return cls((value >> 11) & 0x07, (value >> 8) & 0x07, (value >> 4) & 0x07, value & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class RejoinParamSetupReq(MACCommand):
    """Periodic type 0 rejoins every 2**(max_count_n + 4) uplinks or 2**(max_time_n + 10) seconds."""

    CID: ClassVar[int] = 0x0F
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    max_time_n: int = 0
    max_count_n: int = 0

    def payload(self) -> bytes:
        return bytes(
            (check_range("MaxTimeN", self.max_time_n, 0, 15) << 4 | check_range("MaxCountN", self.max_count_n, 0, 15),)
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0] >> 4, data[0] & 0x0F)


@register
@dataclass(frozen=True, slots=True)
class RejoinParamSetupAns(FlagsCommand):
    CID: ClassVar[int] = 0x0F
    UPLINK: ClassVar[bool] = True
    time_ok: bool = False


@register
@dataclass(frozen=True, slots=True)
class DeviceModeInd(MACCommand):
    """``device_class``: 0 class A, 2 class C (1 is RFU)."""

    CID: ClassVar[int] = 0x20
    UPLINK: ClassVar[bool] = True
    LENGTH: ClassVar[int] = 1
    device_class: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Class", self.device_class, 0, 255),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0])


@register
@dataclass(frozen=True, slots=True)
class DeviceModeConf(MACCommand):
    CID: ClassVar[int] = 0x20
    UPLINK: ClassVar[bool] = False
    LENGTH: ClassVar[int] = 1
    device_class: int = 0

    def payload(self) -> bytes:
        return bytes((check_range("Class", self.device_class, 0, 255),))

    @classmethod
    def from_payload(cls, data: bytes) -> Self:
        return cls(data[0])
