"""networkserver.downlink.flows: which receive windows of the last uplink (class_a_windows) or of a
join-request (join_accept_windows) are still ahead."""

from __future__ import annotations

import pytest

from lorastack.lorawan import get_band
from networkserver.downlink.flows import class_a_windows, join_accept_windows
from networkserver.macstate import initial_mac_state
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

BAND = get_band("EU_863_870")
RECEIVED = 1_800_000_000.0


def _device_and_uplink() -> tuple[end_device_pb2.EndDevice, end_device_pb2.MACState.UplinkMessage]:
    device = end_device_pb2.EndDevice(frequency_plan_id="EU_863_870", lorawan_version=lorawan_pb2.MAC_V1_0_3)
    device.mac_state.CopyFrom(initial_mac_state(device))
    device.mac_state.current_parameters.rx1_delay = 1  # type: ignore[assignment]
    uplink = end_device_pb2.MACState.UplinkMessage(device_channel_index=1)
    uplink.settings.data_rate.lora.spreading_factor = 9
    uplink.settings.data_rate.lora.bandwidth = 125_000
    uplink.received_at.FromNanoseconds(int(RECEIVED * 1e9))
    return device, uplink


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (0.2, [("rx1", 868_300_000, 3), ("rx2", 869_525_000, 0)]),
        (1.5, [("rx2", 869_525_000, 0)]),
        (2.1, []),
    ],
)
def test_windows_still_ahead(after: float, expected: list[tuple[str, int, int]]) -> None:
    device, uplink = _device_and_uplink()
    windows = class_a_windows(device, BAND, uplink, RECEIVED + after)
    assert [(w.name, w.frequency, w.data_rate_index) for w in windows] == expected


def test_rx1_delay_and_data_rate_offset_of_the_session() -> None:
    device, uplink = _device_and_uplink()
    current = device.mac_state.current_parameters
    current.rx1_delay = 5  # type: ignore[assignment]
    current.rx1_data_rate_offset = 2  # type: ignore[assignment]
    (rx1, _) = class_a_windows(device, BAND, uplink, RECEIVED + 4.5)
    assert (rx1.name, rx1.data_rate_index) == ("rx1", 1)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (0.2, [("rx1", 868_300_000, 3), ("rx2", 869_525_000, 0)]),
        (5.5, [("rx2", 869_525_000, 0)]),
        (6.1, []),
    ],
)
def test_join_accept_windows_use_the_join_delays_and_band_defaults(
    after: float, expected: list[tuple[str, int, int]]
) -> None:
    device, request = _device_and_uplink()
    request.payload.m_hdr.m_type = lorawan_pb2.JOIN_REQUEST
    # The device's own RX settings do not apply to a join-accept.
    device.mac_state.current_parameters.rx1_data_rate_offset = 2  # type: ignore[assignment]
    device.mac_state.current_parameters.rx2_frequency = 869_000_000  # type: ignore[assignment]
    windows = join_accept_windows(device.mac_state, BAND, request, RECEIVED + after)
    assert [(w.name, w.frequency, w.data_rate_index) for w in windows] == expected


def test_a_join_request_on_an_unknown_channel_gets_join_accept_2_only() -> None:
    device, request = _device_and_uplink()
    request.device_channel_index = len(device.mac_state.current_parameters.channels)
    windows = join_accept_windows(device.mac_state, BAND, request, RECEIVED)
    assert [w.name for w in windows] == ["rx2"]
