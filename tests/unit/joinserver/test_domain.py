"""Pure parts of the Join Server: config parsing, JoinEUI prefixes, DevNonce rules, key vault, CFList."""

from __future__ import annotations

import pytest

from joinserver.config import JoinPrefix, JoinServerConfig, parse_keks
from joinserver.crypto import cflist_from_proto
from joinserver.keyvault import AT_REST_LABEL, KeyVault
from joinserver.nonces import consume_nonces, consume_rejoin_count
from joinserver.request import covers
from lorastack.config import ConfigError, load
from lorastack.errors import LorastackError
from lorastack.lorawan.cflist import CFListChannelMasks, CFListFrequencies
from ttn.lorawan.v3 import end_device_pb2, keys_pb2, lorawan_pb2


def test_keks_and_root_kek_are_parsed_and_redacted() -> None:
    env = {
        "LORASTACK_JS_KEKS": "ns-kek=" + "00" * 16 + ", as-kek=" + "11" * 32,
        "LORASTACK_JS_ROOT_KEY_KEK": "22" * 16,
    }
    config = load(JoinServerConfig, env)
    assert config.kek("ns-kek") == bytes(16)
    assert config.kek("as-kek") == b"\x11" * 32
    assert config.kek("other") is None
    assert config.js_root_key_kek == b"\x22" * 16
    redacted = config.redacted()
    assert redacted["js_keks"] == "<redacted>" and redacted["js_root_key_kek"] == "<redacted>"


@pytest.mark.parametrize("value", ["nolabel", "a=00", "a=" + "00" * 16 + ",a=" + "00" * 16, "a=zz"])
def test_bad_keks_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_keks(value)
    with pytest.raises(ConfigError):
        load(JoinServerConfig, {"LORASTACK_JS_KEKS": value})


def test_prefix_cover() -> None:
    prefixes = (JoinPrefix(bytes.fromhex("70B3D57ED0000000"), 36),)
    assert covers(prefixes, bytes.fromhex("70B3D57ED0000001"))
    assert covers(prefixes, bytes.fromhex("70B3D57ED0FFFFFF"))
    assert covers(prefixes, bytes.fromhex("70B3D57ED1000000"))
    assert not covers(prefixes, bytes.fromhex("70B3D57EE0000000"))
    assert covers((JoinPrefix(bytes(8), 0),), bytes.fromhex("FFFFFFFFFFFFFFFF"))


def _device(**fields: object) -> end_device_pb2.EndDevice:
    return end_device_pb2.EndDevice(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "dev_nonce", "lorawan_1_1", "error"),
    [
        (_device(), 0, True, None),
        (_device(last_dev_nonce=5, last_join_nonce=2), 5, True, "dev_nonce_too_small"),
        (_device(last_dev_nonce=5, last_join_nonce=2), 4, True, "dev_nonce_too_small"),
        (_device(last_dev_nonce=0, last_join_nonce=1), 0, True, "dev_nonce_too_small"),
        (_device(last_dev_nonce=5, last_join_nonce=2), 6, True, None),
        (_device(last_dev_nonce=5, last_join_nonce=2, resets_join_nonces=True), 1, True, None),
        (_device(used_dev_nonces=[3, 9]), 9, False, "reuse_dev_nonce"),
        (_device(used_dev_nonces=[3, 9], resets_join_nonces=True), 9, False, None),
        (_device(used_dev_nonces=[3, 9]), 4, False, None),
        (_device(last_join_nonce=0xFFFFFF), 4, False, "join_nonce_too_high"),
    ],
)
def test_dev_nonce_rules(
    before: end_device_pb2.EndDevice, dev_nonce: int, lorawan_1_1: bool, error: str | None
) -> None:
    if error is not None:
        with pytest.raises(LorastackError) as caught:
            consume_nonces(before, dev_nonce, lorawan_1_1=lorawan_1_1, history=4)
        assert caught.value.definition.name == error
        return
    after = consume_nonces(before, dev_nonce, lorawan_1_1=lorawan_1_1, history=4)
    assert after.last_dev_nonce == dev_nonce
    assert after.last_join_nonce == before.last_join_nonce + 1
    if not lorawan_1_1:
        assert after.used_dev_nonces[-1] == dev_nonce


def test_dev_nonce_history_is_bounded() -> None:
    device = _device()
    for nonce in range(10):
        device = consume_nonces(device, nonce, lorawan_1_1=False, history=4)
    assert list(device.used_dev_nonces) == [6, 7, 8, 9]
    assert device.last_join_nonce == 10


def test_vault_seals_opens_and_wraps() -> None:
    key = bytes.fromhex("537F8AAE896C79E015D102D06286354E")
    vault = KeyVault(b"\x07" * 16, {"ns-kek": bytes(16)})
    sealed = vault.seal(key)
    assert sealed.kek_label == AT_REST_LABEL and not sealed.key and key not in sealed.SerializeToString()
    assert vault.open(sealed) == key
    # brocaar/lorawan backend/joinserver/joinserver_test.go: FNwkSIntKey wrapped under an all-zero KEK.
    wrapped = vault.wrap_for("ns-kek", key)
    assert wrapped.encrypted_key == bytes.fromhex("5755E6C3241EE7E6646F0FFE87787A002CF9E4B083498F00")
    assert vault.open(wrapped) == key
    assert vault.wrap_for("", key).key == key
    with pytest.raises(LorastackError) as caught:
        vault.wrap_for("missing", key)
    assert caught.value.definition.name == "unknown_kek_label"
    tampered = keys_pb2.KeyEnvelope(kek_label=AT_REST_LABEL, encrypted_key=bytes(24))
    with pytest.raises(LorastackError) as caught:
        vault.open(tampered)
    assert caught.value.definition.name == "corrupted_key"
    assert "07" not in repr(vault)
    assert KeyVault(None, {}).seal(key).key == key


def test_cflist_from_proto() -> None:
    freqs = cflist_from_proto(lorawan_pb2.CFList(type=lorawan_pb2.FREQUENCIES, freq=[8671000, 8673000]))
    assert freqs == CFListFrequencies((867100000, 867300000))
    bits = [True] * 8 + [False] * 8 + [True]
    masks = cflist_from_proto(lorawan_pb2.CFList(type=lorawan_pb2.CHANNEL_MASKS, ch_masks=bits))
    assert masks == CFListChannelMasks((0x00FF, 0x0001))


@pytest.mark.parametrize(
    ("before", "rejoin_type", "rj_count", "after", "error"),
    [
        (_device(), 1, 0, (0, 0), None),
        (_device(last_rj_count_1=5), 1, 6, (0, 6), None),
        (_device(last_rj_count_1=5), 1, 5, None, "rj_count_too_small"),
        (_device(last_rj_count_1=5), 1, 0, None, "rj_count_too_small"),
        (_device(last_rj_count_1=5, resets_join_nonces=True), 1, 2, (0, 2), None),
        # RJcount0 restarts with every session the device takes up; the NS checks it.
        (_device(last_rj_count_0=9), 0, 1, (1, 0), None),
        (_device(last_rj_count_0=9), 2, 9, (9, 0), None),
        (_device(last_join_nonce=0xFFFFFF), 2, 1, None, "join_nonce_too_high"),
    ],
)
def test_rejoin_counters(
    before: end_device_pb2.EndDevice, rejoin_type: int, rj_count: int, after: tuple[int, int] | None, error: str | None
) -> None:
    if error is not None:
        with pytest.raises(LorastackError) as caught:
            consume_rejoin_count(before, rejoin_type, rj_count)
        assert caught.value.definition.name == error
        return
    updated = consume_rejoin_count(before, rejoin_type, rj_count)
    assert (updated.last_rj_count_0, updated.last_rj_count_1) == after
    assert updated.last_join_nonce == before.last_join_nonce + 1
