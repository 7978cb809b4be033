"""Regional parameters per band (LoRaWAN Regional Parameters RP002-1.0.3/1.0.4), looked up by TTS band id."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lorastack.lorawan.band.as_923 import AS_923, AS_923_2, AS_923_3, AS_923_4
from lorastack.lorawan.band.au_915_928 import AU_915_928
from lorastack.lorawan.band.base import (
    Band,
    BandError,
    Beacon,
    CFListType,
    Channel,
    DataRate,
    FSKModulation,
    LoRaModulation,
    LRFHSSModulation,
    Modulation,
    SubBand,
)
from lorastack.lorawan.band.cn_470_510 import CN_470_510
from lorastack.lorawan.band.cn_779_787 import CN_779_787
from lorastack.lorawan.band.eu_433 import EU_433
from lorastack.lorawan.band.eu_863_870 import EU_863_870
from lorastack.lorawan.band.in_865_867 import IN_865_867
from lorastack.lorawan.band.ism_2400 import ISM_2400
from lorastack.lorawan.band.kr_920_923 import KR_920_923
from lorastack.lorawan.band.ru_864_870 import RU_864_870
from lorastack.lorawan.band.us_902_928 import US_902_928

__all__ = [
    "ALL_BANDS",
    "Band",
    "BandError",
    "Beacon",
    "CFListType",
    "Channel",
    "DataRate",
    "FSKModulation",
    "LRFHSSModulation",
    "LoRaModulation",
    "Modulation",
    "SubBand",
    "get_band",
]

ALL_BANDS: Mapping[str, Band] = MappingProxyType(
    {
        band.id: band
        for band in (
            EU_863_870,
            US_902_928,
            AU_915_928,
            AS_923,
            AS_923_2,
            AS_923_3,
            AS_923_4,
            CN_470_510,
            KR_920_923,
            IN_865_867,
            RU_864_870,
            CN_779_787,
            EU_433,
            ISM_2400,
        )
    }
)


def get_band(band_id: str) -> Band:
    """The band with this The Things Stack band id, e.g. ``"EU_863_870"``."""
    try:
        return ALL_BANDS[band_id]
    except KeyError:
        raise BandError(f"unknown band id {band_id!r}") from None
