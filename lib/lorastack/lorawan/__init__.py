"""Pure LoRaWAN protocol code: frames, crypto, MAC commands, regions. No I/O."""

from .cflist import CFList, CFListChannelMasks, CFListFrequencies, decode_cflist
from .devaddr import DevAddr, DevAddrPrefix
from .errors import DecodeError, EncodeError, LoRaWANError
from .eui import EUI64
from .fhdr import FHDR, FCtrl
from .join import (
    DLSettings,
    EncryptedJoinAccept,
    JoinAcceptPayload,
    JoinRequestPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
)
from .keys import AES128Key
from .keywrap import unwrap_key, wrap_key
from .macpayload import MACPayload
from .mhdr import MHDR, Major, MType
from .netid import NetID
from .nonces import DevNonce, JoinNonce
from .phy_payload import PHYPayload, ProprietaryPayload, decode_join_accept_plaintext, decode_phy_payload

__all__ = [
    "EUI64",
    "FHDR",
    "MHDR",
    "AES128Key",
    "CFList",
    "CFListChannelMasks",
    "CFListFrequencies",
    "DLSettings",
    "DecodeError",
    "DevAddr",
    "DevAddrPrefix",
    "DevNonce",
    "EncodeError",
    "EncryptedJoinAccept",
    "FCtrl",
    "JoinAcceptPayload",
    "JoinNonce",
    "JoinRequestPayload",
    "LoRaWANError",
    "MACPayload",
    "MType",
    "Major",
    "NetID",
    "PHYPayload",
    "ProprietaryPayload",
    "RejoinRequest02Payload",
    "RejoinRequest1Payload",
    "decode_cflist",
    "decode_join_accept_plaintext",
    "decode_phy_payload",
    "unwrap_key",
    "wrap_key",
]

# Crypto, MAC commands and the regional half of the library (bands, frequency plans, airtime, duty
# cycle, ADR) are reachable from the package root too; each subpackage's __all__ defines the names.
from . import adr, airtime, band, crypto, dutycycle, frequencyplans, maccommands
from .adr import *  # noqa: F403
from .airtime import *  # noqa: F403
from .band import *  # noqa: F403
from .crypto import *  # noqa: F403
from .dutycycle import *  # noqa: F403
from .frequencyplans import *  # noqa: F403
from .maccommands import *  # noqa: F403

__all__ += crypto.__all__ + maccommands.__all__
__all__ += band.__all__ + frequencyplans.__all__ + airtime.__all__ + dutycycle.__all__ + adr.__all__
