"""What a simulated end device is: identity, root or session keys, LoRaWAN version, class and region."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lorastack.lorawan import EUI64, AES128Key, DevAddr

__all__ = ["ABPSession", "Activation", "DeviceClass", "DeviceProfile", "LoRaWANVersion"]


class LoRaWANVersion(enum.Enum):
    V1_0_2 = "1.0.2"
    V1_0_3 = "1.0.3"
    V1_0_4 = "1.0.4"
    V1_1 = "1.1"

    @property
    def is_1_1(self) -> bool:
        return self is LoRaWANVersion.V1_1

    @property
    def mac_version(self) -> str:
        """The ttn.lorawan.v3.MACVersion enum name."""
        return {
            LoRaWANVersion.V1_0_2: "MAC_V1_0_2",
            LoRaWANVersion.V1_0_3: "MAC_V1_0_3",
            LoRaWANVersion.V1_0_4: "MAC_V1_0_4",
            LoRaWANVersion.V1_1: "MAC_V1_1",
        }[self]

    @property
    def phy_version(self) -> str:
        """The ttn.lorawan.v3.PHYVersion enum name of the regional parameters that go with it."""
        return {
            LoRaWANVersion.V1_0_2: "PHY_V1_0_2_REV_B",
            LoRaWANVersion.V1_0_3: "PHY_V1_0_3_REV_A",
            LoRaWANVersion.V1_0_4: "RP002_V1_0_3",
            LoRaWANVersion.V1_1: "PHY_V1_1_REV_B",
        }[self]


class Activation(enum.Enum):
    OTAA = "otaa"
    ABP = "abp"


class DeviceClass(enum.Enum):
    A = "A"
    C = "C"


@dataclass(frozen=True, slots=True)
class ABPSession:
    """Keys of a personalized device. 1.0.x uses ``nwk_s_key`` for all three network keys."""

    dev_addr: DevAddr
    app_s_key: AES128Key
    f_nwk_s_int_key: AES128Key
    s_nwk_s_int_key: AES128Key
    nwk_s_enc_key: AES128Key


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    device_id: str
    dev_eui: EUI64
    join_eui: EUI64
    version: LoRaWANVersion
    activation: Activation
    device_class: DeviceClass
    band_id: str
    frequency_plan_id: str
    app_key: AES128Key | None = None
    nwk_key: AES128Key | None = None
    abp: ABPSession | None = None
    data_rate: int | None = None
    f_port: int = 1
    payload_size: int = 8
    battery: int = 254
    dev_nonce_start: int = 0

    @property
    def root_key_for_join(self) -> AES128Key:
        """AppKey signs 1.0.x join-requests, NwkKey 1.1 ones (LoRaWAN 1.1 section 6.2.2)."""
        key = self.nwk_key if self.version.is_1_1 else self.app_key
        if key is None:
            raise ValueError(f"device {self.device_id} has no root key for OTAA")
        return key
