"""The simulated 1.1 device's rejoin (LoRaWAN 1.1 sections 6.2.3 and 6.2.4): rejoin-requests of types 0, 1
and 2 with their keys and counters, and rejoin-accepts built here with plain AES as the JS builds them
(JSIntKey and JSEncKey per section 6.1.1.3, MIC over JoinReqType | JoinEUI | RJcount | MHDR | payload,
session keys with RJcount in DevNonce's place)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from lorastack.lorawan import maccommands as mc
from lorastack.sim.device.device import EndDevice
from unit.sim.netside import DEV_EUI, JOIN_EUI, NET_ID, NWK_KEY, FakeGateway
from unit.sim.test_device import joined, make

NEW_ADDR = bytes.fromhex("26AABBCC")
JOIN_NONCE = 0x000123


def _ecb(key: bytes, block: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(block) + op.finalize()


def _cmac4(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:4]


def _derived(prefix: int) -> bytes:
    return _ecb(NWK_KEY.value, bytes((prefix,)) + DEV_EUI.value[::-1] + bytes(7))


JS_INT_KEY, JS_ENC_KEY = _derived(0x06), _derived(0x05)


def _session_key(prefix: int, rj_count: int) -> bytes:
    block = bytes((prefix,)) + JOIN_NONCE.to_bytes(3, "little") + JOIN_EUI.value[::-1] + rj_count.to_bytes(2, "little")
    return _ecb(NWK_KEY.value, block + bytes(16 - len(block)))


def _rejoin_accept(rejoin_type: int, rj_count: int, *, rx_delay: int = 1) -> bytes:
    # DLSettings 0x83: OptNeg, RX1 offset 0, RX2 DR3; no CFList.
    plain = b"\x20" + JOIN_NONCE.to_bytes(3, "little") + NET_ID.value[::-1] + NEW_ADDR[::-1] + bytes((0x83, rx_delay))
    mic = _cmac4(JS_INT_KEY, bytes((rejoin_type,)) + JOIN_EUI.value[::-1] + rj_count.to_bytes(2, "little") + plain)
    return b"\x20" + _ecb(JS_ENC_KEY, plain[1:] + mic, decrypt=True)


def _answer(device: EndDevice, gateway: FakeGateway, frame: bytes) -> None:
    up = gateway.uplinks[-1]
    gateway.transmit(frame, delay_us=5_000_000, frequency=up.frequency, data_rate=up.data_rate)


@pytest.mark.parametrize("rejoin_type", [0, 2])
def test_type_0_and_2_are_signed_with_the_session_key_and_count_rj_count_0(rejoin_type: int) -> None:
    device, gateway, clock = joined("1.1", opt_neg=True)
    assert device.session is not None
    s_key = device.session.s_nwk_s_int_key.value
    for expected_count in (0, 1):
        assert device.send_rejoin(rejoin_type)
        frame = gateway.uplinks[-1].payload
        body = b"\xc0" + bytes((rejoin_type,)) + NET_ID.value[::-1] + DEV_EUI.value[::-1]
        assert frame[:-4] == body + expected_count.to_bytes(2, "little")
        assert frame[-4:] == _cmac4(s_key, frame[:-4])
        clock.t += 7
    assert (device.rj_count0, device.rj_count1) == (2, 0)
    assert device.counters.rejoin_requests == 2


def test_type_1_is_signed_with_js_int_key_and_counts_rj_count_1() -> None:
    device, gateway, _ = joined("1.1", opt_neg=True)
    device.rj_count1 = 41
    assert device.send_rejoin(1)
    frame = gateway.uplinks[-1].payload
    assert frame[:-4] == b"\xc0\x01" + JOIN_EUI.value[::-1] + DEV_EUI.value[::-1] + (41).to_bytes(2, "little")
    assert frame[-4:] == _cmac4(JS_INT_KEY, frame[:-4])
    assert (device.rj_count0, device.rj_count1) == (0, 42)


@pytest.mark.parametrize("rejoin_type", [0, 1, 2])
def test_rejoin_accept_switches_to_the_new_session(rejoin_type: int) -> None:
    device, gateway, clock = joined("1.1", opt_neg=True)
    device.mac.rx1_delay = 3  # a radio parameter only types 0 and 1 reset
    device.send_uplink(payload=b"x")
    clock.t += 7
    device.rj_count0, device.rj_count1 = 5, 7
    device.send_rejoin(rejoin_type)
    sent_count = 7 if rejoin_type == 1 else 5
    _answer(device, gateway, _rejoin_accept(rejoin_type, sent_count))
    session = device.session
    assert session is not None
    assert device.counters.rejoins == 1 and device.counters.downlinks_rx1 == 2  # the join-accept, then this
    assert session.dev_addr.value == NEW_ADDR and session.f_cnt_up == 0
    assert session.f_nwk_s_int_key.value == _session_key(0x01, sent_count)
    assert session.s_nwk_s_int_key.value == _session_key(0x03, sent_count)
    assert session.nwk_s_enc_key.value == _session_key(0x04, sent_count)
    assert (device.rj_count0, device.rj_count1) == (0, 8 if rejoin_type == 1 else 7)
    assert device.mac.rx1_delay == (3 if rejoin_type == 2 else 1)
    # The new session is confirmed with RekeyInd, as after a join.
    assert any(isinstance(i, mc.RekeyInd) for i in device._indications)
    clock.t += 1
    device.send_uplink(payload=b"y")
    assert gateway.uplinks[-1].payload[1:5] == NEW_ADDR[::-1]


def test_wrong_rejoin_accept_keeps_the_session() -> None:
    device, gateway, _ = joined("1.1", opt_neg=True)
    before = device.session
    device.send_rejoin(2)
    _answer(device, gateway, _rejoin_accept(0, 0))  # signed for another rejoin type
    assert device.session is before
    assert device.counters.join_accept_mic_failures == 1 and device.counters.rejoins == 0


def test_rejoin_needs_a_1_1_session() -> None:
    device, _, _ = make("1.1")
    with pytest.raises(ValueError):
        device.send_rejoin(0)
    old, _, _ = joined("1.0.3")
    with pytest.raises(ValueError):
        old.send_rejoin(1)
    with pytest.raises(ValueError):
        make("1.1")[0].send_rejoin(3)


def test_no_rejoin_inside_receive_windows() -> None:
    device, _, clock = joined("1.1", opt_neg=True)
    assert device.send_rejoin(0)
    clock.t += 1
    assert not device.send_rejoin(0)
