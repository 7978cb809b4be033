"""Set's consistency rules and the field-mask key check, as tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lorastack.errors import LorastackError
from lorastack.lorawan import DevAddrPrefix
from networkserver.registry import generate_dev_addr, paths_with_keys, validate_device
from ttn.lorawan.v3 import end_device_pb2, lorawan_pb2

Device = end_device_pb2.EndDevice


def _abp(version: int = lorawan_pb2.MAC_V1_0_3, phy: int = lorawan_pb2.PHY_V1_0_3_REV_A) -> Device:
    device = Device(frequency_plan_id="EU_863_870", lorawan_version=version, lorawan_phy_version=phy)  # type: ignore[arg-type]
    device.ids.device_id, device.ids.application_ids.application_id = "dev", "app"
    device.session.dev_addr = bytes(4)
    for name in ("f_nwk_s_int_key", "s_nwk_s_int_key", "nwk_s_enc_key"):
        getattr(device.session.keys, name).key = bytes(16)
    return device


def _change(change: Callable[[Device], object], base: Device | None = None) -> Device:
    device = base or _abp()
    change(device)
    return device


@pytest.mark.parametrize(
    ("device", "reason"),
    [
        (_abp(), None),
        (_abp(lorawan_pb2.MAC_V1_1, lorawan_pb2.RP002_V1_0_3), None),
        (_abp(lorawan_pb2.MAC_V1_0_4, lorawan_pb2.RP002_V1_0_1), None),
        (_change(lambda d: d.ClearField("session")), "needs a session"),
        (_change(lambda d: d.session.keys.ClearField("f_nwk_s_int_key")), "f_nwk_s_int_key"),
        (
            _change(lambda d: d.session.keys.ClearField("nwk_s_enc_key"), _abp(lorawan_pb2.MAC_V1_1, 6)),
            "nwk_s_enc_key",
        ),
        (_abp(lorawan_pb2.MAC_V1_0_2, lorawan_pb2.PHY_V1_1_REV_B), "does not go with"),
        (_abp(lorawan_pb2.MAC_UNKNOWN), "MAC version"),
        (_change(lambda d: setattr(d, "frequency_plan_id", "XX_1")), "XX_1"),
        (_change(lambda d: setattr(d, "frequency_plan_id", "")), "frequency_plan_id"),
        (_change(lambda d: setattr(d.mac_state, "device_class", lorawan_pb2.CLASS_C)), "class C"),
        (_change(lambda d: setattr(d.mac_state, "device_class", lorawan_pb2.CLASS_B)), "class B"),
        (_change(lambda d: (setattr(d, "multicast", True), setattr(d, "supports_join", True))), "multicast"),
    ],
)
def test_validate_device(device: Device, reason: str | None) -> None:
    if reason is None:
        validate_device(device)
        return
    with pytest.raises(LorastackError) as info:
        validate_device(device)
    assert reason in info.value.message


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["session.dev_addr"], False),
        (["session"], True),
        (["session.keys.f_nwk_s_int_key"], True),
        (["pending_session.keys"], True),
        (["mac_state", "frequency_plan_id"], False),
    ],
)
def test_paths_with_keys(paths: list[str], expected: bool) -> None:
    assert paths_with_keys(paths) is expected


def test_generated_dev_addrs_stay_in_their_prefixes() -> None:
    prefixes = [DevAddrPrefix.from_string("26000000/20"), DevAddrPrefix.from_string("27000000/24")]
    for _ in range(200):
        addr = generate_dev_addr(prefixes)
        assert any(p.matches(addr) for p in prefixes)
