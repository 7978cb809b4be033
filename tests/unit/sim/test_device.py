"""The simulated end device against frames built with the lorawan library: join, windows, data, MAC."""

from __future__ import annotations

import random

import pytest

from lorastack.lorawan import (
    CFListFrequencies,
    DevNonce,
    DLSettings,
    JoinRequestPayload,
    MACPayload,
    MType,
    crypto,
    decode_phy_payload,
)
from lorastack.lorawan import maccommands as mc
from lorastack.sim.device.device import EndDevice, GatewayLink
from unit.sim.netside import APP_KEY, DEV_ADDR, DEV_EUI, JOIN_EUI, NET_ID, NWK_KEY, FakeGateway, NetworkSession, profile

JOIN_NONCE = 0x000042


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(version: str = "1.0.3", device_class: str = "A", **kwargs: object) -> tuple[EndDevice, FakeGateway, Clock]:
    gateway, clock = FakeGateway(), Clock()
    device = EndDevice(
        profile(version, device_class, **kwargs), [GatewayLink(gateway)], now=clock, rng=random.Random(1)
    )
    return device, gateway, clock


def joined(
    version: str = "1.0.3", device_class: str = "A", opt_neg: bool = False
) -> tuple[EndDevice, FakeGateway, Clock]:
    from unit.sim.netside import join_accept

    device, gateway, clock = make(version, device_class)
    assert device.send_uplink()
    gateway.transmit(
        join_accept(version, 0, dl_settings=DLSettings(0, 3, opt_neg)),
        delay_us=5_000_000,
        frequency=gateway.uplinks[-1].frequency,
        data_rate=5,
    )
    assert device.joined
    clock.t += 7
    return device, gateway, clock


def network_session_1_0() -> NetworkSession:
    nonce = DevNonce.from_int(0)
    from lorastack.lorawan import JoinNonce

    jn = JoinNonce.from_int(JOIN_NONCE)
    return NetworkSession(
        DEV_ADDR,
        crypto.derive_nwk_s_key_1_0(APP_KEY, jn, NET_ID, nonce),
        crypto.derive_app_s_key_1_0(APP_KEY, jn, NET_ID, nonce),
    )


def network_session_1_1() -> NetworkSession:
    from lorastack.lorawan import JoinNonce

    args = (JoinNonce.from_int(JOIN_NONCE), JOIN_EUI, DevNonce.from_int(0))
    return NetworkSession(
        DEV_ADDR,
        crypto.derive_f_nwk_s_int_key(NWK_KEY, *args),
        crypto.derive_app_s_key_1_1(APP_KEY, *args),
        s_nwk_s_int_key=crypto.derive_s_nwk_s_int_key(NWK_KEY, *args),
        nwk_s_enc_key=crypto.derive_nwk_s_enc_key(NWK_KEY, *args),
    )


@pytest.mark.parametrize(("version", "key"), [("1.0.2", APP_KEY), ("1.0.4", APP_KEY), ("1.1", NWK_KEY)])
def test_join_request_is_signed_with_the_root_key_of_its_version(version: str, key: object) -> None:
    device, gateway, _ = make(version, dev_nonce_start=7)
    assert device.send_uplink()
    frame = gateway.uplinks[0].payload
    phy = decode_phy_payload(frame)
    assert phy.payload == JoinRequestPayload(JOIN_EUI, DEV_EUI, DevNonce.from_int(7))
    assert phy.mic == crypto.join_request_mic(key, frame[:-4])  # type: ignore[arg-type]
    assert gateway.uplinks[0].frequency in (868_100_000, 868_300_000, 868_500_000)
    assert device.counters.join_requests == 1


def test_join_accept_1_0_derives_the_library_session_keys_and_applies_settings() -> None:
    from unit.sim.netside import join_accept

    device, gateway, _ = make("1.0.3")
    device.send_uplink()
    cflist = CFListFrequencies((867_100_000, 867_300_000, 0, 0, 0))
    accept = join_accept("1.0.3", 0, rx_delay=2, dl_settings=DLSettings(1, 3, False), cflist=cflist)
    gateway.transmit(accept, delay_us=5_000_000, frequency=gateway.uplinks[0].frequency, data_rate=5)
    expected = network_session_1_0()
    assert device.session is not None
    assert device.session.dev_addr == DEV_ADDR
    assert device.session.f_nwk_s_int_key == expected.nwk_s_key
    assert device.session.app_s_key == expected.app_s_key
    assert (device.mac.rx1_delay, device.mac.rx1_dr_offset, device.mac.rx2_data_rate) == (2, 1, 3)
    assert device.mac.channels[3].frequency == 867_100_000 and device.mac.channels[4].frequency == 867_300_000
    assert device.counters.joins == 1 and device.counters.downlinks_rx1 == 1


def test_join_accept_1_1_with_opt_neg_uses_the_js_int_key_mic_and_1_1_keys() -> None:
    device, _, _ = joined("1.1", opt_neg=True)
    expected = network_session_1_1()
    assert device.session is not None and device.session.lorawan_1_1
    assert device.session.f_nwk_s_int_key == expected.nwk_s_key
    assert device.session.s_nwk_s_int_key == expected.s_nwk_s_int_key
    assert device.session.nwk_s_enc_key == expected.nwk_s_enc_key
    assert device.session.app_s_key == expected.app_s_key


def test_join_accept_with_another_key_is_a_mic_failure() -> None:
    from unit.sim.netside import join_accept

    device, gateway, _ = make("1.0.3")
    device.send_uplink()
    gateway.transmit(
        join_accept("1.0.3", 0, key=NWK_KEY), delay_us=5_000_000, frequency=gateway.uplinks[0].frequency, data_rate=5
    )
    assert not device.joined
    assert device.counters.join_accept_mic_failures == 1


@pytest.mark.parametrize(
    ("delay_us", "frequency", "data_rate", "outcome"),
    [
        (5_000_000, None, 5, "rx1"),
        (6_000_000, 869_525_000, 0, "rx2"),
        (5_000_001, None, 5, "wrong_time"),
        (4_999_999, None, 5, "wrong_time"),
        (5_000_000, 869_525_000, 5, "wrong_frequency"),
        (6_000_000, 869_525_000, 3, "wrong_data_rate"),
    ],
)
def test_join_accept_counts_only_at_the_exact_window_time(
    delay_us: int, frequency: int | None, data_rate: int, outcome: str
) -> None:
    from unit.sim.netside import join_accept

    device, gateway, _ = make("1.0.3", data_rate=5)
    device.send_uplink()
    uplink_frequency = gateway.uplinks[0].frequency
    gateway.transmit(
        join_accept("1.0.3", 0), delay_us=delay_us, frequency=frequency or uplink_frequency, data_rate=data_rate
    )
    if outcome in ("rx1", "rx2"):
        assert device.joined
        assert getattr(device.counters, f"downlinks_{outcome}") == 1
    else:
        assert not device.joined
        assert device.counters.downlinks == 0


def test_no_second_uplink_before_the_windows_end_and_retry_with_a_new_nonce() -> None:
    device, gateway, clock = make("1.0.4")
    assert device.send_uplink()
    clock.t += 5.5
    assert not device.send_uplink()
    assert device.counters.uplinks_skipped_busy == 1
    clock.t += 1
    assert device.send_uplink()
    first, second = (decode_phy_payload(u.payload).payload for u in gateway.uplinks)
    assert isinstance(first, JoinRequestPayload) and isinstance(second, JoinRequestPayload)
    assert (first.dev_nonce, second.dev_nonce) == (DevNonce.from_int(0), DevNonce.from_int(1))


@pytest.mark.parametrize("version", ["1.0.2", "1.0.3", "1.0.4"])
def test_data_uplink_1_0_mic_and_payload(version: str) -> None:
    device, gateway, _ = joined(version)
    assert device.send_uplink(payload=b"hello", confirmed=True)
    frame = gateway.uplinks[-1].payload
    phy = decode_phy_payload(frame)
    assert phy.mhdr.mtype == MType.CONFIRMED_DATA_UP
    mac = phy.payload
    assert isinstance(mac, MACPayload) and mac.fhdr.f_cnt == 0 and mac.f_port == 1
    net = network_session_1_0()
    assert phy.mic == crypto.data_uplink_mic_1_0(net.nwk_s_key, DEV_ADDR, 0, frame[:-4])
    assert crypto.encrypt_frm_payload(net.app_s_key, DEV_ADDR, 0, mac.frm_payload, uplink=True) == b"hello"


def test_data_uplink_1_1_carries_rekey_ind_encrypted_and_both_mic_halves() -> None:
    device, gateway, _ = joined("1.1", opt_neg=True)
    device.send_uplink(payload=b"x")
    frame = gateway.uplinks[-1].payload
    phy = decode_phy_payload(frame)
    mac = phy.payload
    assert isinstance(mac, MACPayload)
    net = network_session_1_1()
    assert net.s_nwk_s_int_key is not None and net.nwk_s_enc_key is not None
    up = gateway.uplinks[-1]
    channel = next(i for i, ch in device.mac.channels.items() if ch.frequency == up.frequency)
    expected = crypto.data_uplink_mic_1_1(
        net.nwk_s_key, net.s_nwk_s_int_key, DEV_ADDR, 0, frame[:-4], tx_dr=up.data_rate, tx_ch=channel
    )
    assert phy.mic == expected
    f_opts = crypto.encrypt_fopts(net.nwk_s_enc_key, DEV_ADDR, 0, mac.fhdr.f_opts, uplink=True)
    assert mc.parse_mac_commands(f_opts, uplink=True) == [mc.RekeyInd(minor=1)]


def test_downlink_mac_commands_are_answered_and_applied() -> None:
    device, gateway, clock = joined("1.0.3")
    device.send_uplink()
    up = gateway.uplinks[-1]
    commands: list[mc.MACCommand] = [
        mc.LinkADRReq(data_rate=2, tx_power=3, ch_mask=0x0007, ch_mask_cntl=0, nb_trans=1),
        mc.DevStatusReq(),
        mc.RXTimingSetupReq(delay=3),
    ]
    frame = network_session_1_0().downlink(0, commands=commands)
    gateway.transmit(frame, delay_us=1_000_000, frequency=up.frequency, data_rate=5)
    assert device.counters.downlinks_rx1 == 2  # the join-accept and this one
    assert (device.mac.data_rate, device.mac.tx_power, device.mac.rx1_delay) == (2, 3, 3)
    clock.t += 3
    device.send_uplink()
    mac = decode_phy_payload(gateway.uplinks[-1].payload).payload
    assert isinstance(mac, MACPayload)
    answers = mc.parse_mac_commands(mac.fhdr.f_opts, uplink=True)
    assert answers == [
        mc.LinkADRAns(channel_mask_ack=True, data_rate_ack=True, power_ack=True),
        mc.DevStatusAns(battery=254, margin=10),
        mc.RXTimingSetupAns(),
    ]
    assert gateway.uplinks[-1].data_rate == 2


def test_rejected_link_adr_changes_nothing() -> None:
    # Channel 8 does not exist: the mask leaves no channel on, so no data rate is possible either.
    device, gateway, clock = joined("1.0.3")
    device.send_uplink()
    frame = network_session_1_0().downlink(0, commands=[mc.LinkADRReq(data_rate=2, tx_power=3, ch_mask=0x0100)])
    gateway.transmit(frame, delay_us=1_000_000, frequency=gateway.uplinks[-1].frequency, data_rate=5)
    assert device.mac.data_rate == 5 and device.mac.tx_power == 0
    clock.t += 3
    device.send_uplink()
    mac = decode_phy_payload(gateway.uplinks[-1].payload).payload
    assert isinstance(mac, MACPayload)
    assert mc.parse_mac_commands(mac.fhdr.f_opts, uplink=True) == [
        mc.LinkADRAns(channel_mask_ack=False, data_rate_ack=False, power_ack=True)
    ]


def test_replayed_counter_and_bad_mic_are_counted_not_accepted() -> None:
    device, gateway, clock = joined("1.0.3")
    net = network_session_1_0()
    for expect_rx1, f_cnt in ((2, 4), (2, 4), (2, 3)):
        device.send_uplink()
        gateway.transmit(
            net.downlink(f_cnt, f_port=2, payload=b"a"),
            delay_us=1_000_000,
            frequency=gateway.uplinks[-1].frequency,
            data_rate=5,
        )
        assert device.counters.downlinks_rx1 == expect_rx1
        clock.t += 3
    assert device.counters.f_cnt_errors == 2
    device.send_uplink()
    forged = bytearray(net.downlink(9, f_port=2, payload=b"a"))
    forged[-1] ^= 1
    gateway.transmit(bytes(forged), delay_us=1_000_000, frequency=gateway.uplinks[-1].frequency, data_rate=5)
    assert device.counters.mic_failures == 1
    assert list(device.received) == [(2, b"a")]


def test_confirmed_uplink_acknowledged_in_rx2_and_confirmed_downlink_acked_in_next_uplink() -> None:
    device, gateway, clock = joined("1.1", opt_neg=True)
    net = network_session_1_1()
    device.send_uplink(confirmed=True)
    frame = net.downlink(0, f_port=3, payload=b"hi", confirmed=True, ack=True, conf_f_cnt=0)
    gateway.transmit(frame, delay_us=2_000_000, frequency=869_525_000, data_rate=3)
    assert device.counters.downlinks_rx2 == 1 and device.counters.acks == 1
    assert device.counters.confirmed_downlinks == 1
    clock.t += 3
    device.send_uplink()
    mac = decode_phy_payload(gateway.uplinks[-1].payload).payload
    assert isinstance(mac, MACPayload) and mac.fhdr.f_ctrl.ack


def test_class_c_hears_rx2_settings_at_any_time_but_class_a_does_not() -> None:
    net = network_session_1_0()
    for device_class, heard in (("C", 1), ("A", 0)):
        device, gateway, _ = joined("1.0.3", device_class)
        gateway.transmit(net.downlink(1, f_port=5, payload=b"c"), delay_us=None, frequency=869_525_000, data_rate=3)
        assert device.counters.downlinks_rxc == heard
        assert device.counters.missed.get("no_window", 0) == 1 - heard


def test_uplink_nobody_hears() -> None:
    device, gateway, _ = make("1.0.3")
    gateway.deaf = True
    device.send_uplink()
    assert device.counters.uplinks_not_heard == 1
