"""The uplink channel index a LoRaWAN 1.1 MIC covers (section 4.4), read from the MAC state that knows it."""

from __future__ import annotations

from networkserver.uplink.data import _channel_index
from ttn.lorawan.v3 import end_device_pb2


def _with_channels(state: end_device_pb2.MACState, *frequencies: int) -> None:
    for frequency in frequencies:
        state.current_parameters.channels.add(uplink_frequency=frequency)


def test_just_joined_device_uses_the_pending_mac_state() -> None:
    # Found end to end: a 1.1 device's first uplinks on CFList channels failed their MIC.
    device = end_device_pb2.EndDevice()
    _with_channels(device.pending_mac_state, 868_100_000, 868_300_000, 868_500_000, 867_100_000)
    assert _channel_index(device, 867_100_000) == 3


def test_current_mac_state_comes_first_and_unknown_frequency_is_zero() -> None:
    device = end_device_pb2.EndDevice()
    _with_channels(device.mac_state, 868_100_000, 868_300_000)
    _with_channels(device.pending_mac_state, 868_300_000)
    assert _channel_index(device, 868_300_000) == 1
    assert _channel_index(device, 869_000_000) == 0
