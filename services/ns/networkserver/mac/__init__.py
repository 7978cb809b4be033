"""MAC command handling (LoRaWAN 1.0.4 and 1.1 chapter 5) as pure functions over the device.

``answers`` handles what a device sends (answers to our requests, and its own requests and
indications); ``requests`` decides what the NS asks of the device before a downlink.
"""

from .answers import handle_uplink_commands
from .common import MACOutcome, UplinkInfo, decode_stored, encode_stored
from .requests import plan_requests

__all__ = ["MACOutcome", "UplinkInfo", "decode_stored", "encode_stored", "handle_uplink_commands", "plan_requests"]
