"""MAC commands of LoRaWAN 1.0.4 and 1.1 in both directions, and the block parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lorastack.lorawan import DecodeError, EncodeError, LoRaWANError
from lorastack.lorawan.maccommands import (
    ADRParamSetupAns,
    ADRParamSetupReq,
    BeaconFreqAns,
    BeaconFreqReq,
    BeaconTimingAns,
    BeaconTimingReq,
    DeviceModeConf,
    DeviceModeInd,
    DeviceTimeAns,
    DeviceTimeReq,
    DevStatusAns,
    DevStatusReq,
    DlChannelAns,
    DlChannelReq,
    DutyCycleAns,
    DutyCycleReq,
    ForceRejoinReq,
    LinkADRAns,
    LinkADRReq,
    LinkCheckAns,
    LinkCheckReq,
    MACCommand,
    NewChannelAns,
    NewChannelReq,
    PingSlotChannelAns,
    PingSlotChannelReq,
    PingSlotInfoAns,
    PingSlotInfoReq,
    RejoinParamSetupAns,
    RejoinParamSetupReq,
    RekeyConf,
    RekeyInd,
    ResetConf,
    ResetInd,
    RXParamSetupAns,
    RXParamSetupReq,
    RXTimingSetupAns,
    RXTimingSetupReq,
    TxParamSetupAns,
    TxParamSetupReq,
    command_for,
    encode_mac_commands,
    parse_mac_commands,
    parse_mac_commands_lenient,
)

UP, DOWN = True, False

# (direction, command, bytes). Unless noted: chirpstack/chirpstack lrwn/src/maccommand.rs test table.
VECTORS: list[tuple[bool, MACCommand, str]] = [
    (UP, ResetInd(1), "0101"),
    (DOWN, ResetConf(1), "0101"),
    (UP, LinkCheckReq(), "02"),
    (DOWN, LinkCheckAns(10, 15), "020a0f"),
    (DOWN, LinkADRReq(1, 2, 0x0004, 4, 5), "0312040045"),
    (UP, LinkADRAns(True, False, False), "0301"),
    (UP, LinkADRAns(False, True, False), "0302"),
    (UP, LinkADRAns(False, False, True), "0304"),
    (UP, LinkADRAns(True, True, True), "0307"),
    (DOWN, DutyCycleReq(13), "040d"),
    (UP, DutyCycleAns(), "04"),
    (DOWN, RXParamSetupReq(3, 11, 26265700), "053b010204"),
    (UP, RXParamSetupAns(True, False, True), "0505"),
    (DOWN, DevStatusReq(), "06"),
    (UP, DevStatusAns(0, -30), "060022"),
    (UP, DevStatusAns(255, 30), "06ff1e"),
    (UP, DevStatusAns(127, -1), "067f3f"),
    (UP, DevStatusAns(127, 0), "067f00"),
    (DOWN, NewChannelReq(3, 26265700, 10, 5), "07030102045a"),
    # ISM2400 frequency in 200 Hz steps (same chirpstack table).
    (DOWN, NewChannelReq(3, 2_410_000_000, 0, 5), "070350deb750"),
    (UP, NewChannelAns(False, False), "0700"),
    (UP, NewChannelAns(True, False), "0701"),
    (UP, NewChannelAns(False, True), "0702"),
    (UP, NewChannelAns(True, True), "0703"),
    (DOWN, RXTimingSetupReq(15), "080f"),
    (UP, RXTimingSetupAns(), "08"),
    (DOWN, TxParamSetupReq(False, False, 15), "090f"),
    (DOWN, TxParamSetupReq(False, True, 15), "091f"),
    (DOWN, TxParamSetupReq(True, False, 15), "092f"),
    (UP, TxParamSetupAns(), "09"),
    (DOWN, DlChannelReq(0, 868_100_000), "0a00287684"),
    (DOWN, DlChannelReq(1, 868_200_000), "0a01107a84"),
    (UP, DlChannelAns(False, False), "0a00"),
    (UP, DlChannelAns(True, False), "0a01"),
    (UP, DlChannelAns(False, True), "0a02"),
    (UP, DlChannelAns(True, True), "0a03"),
    (DOWN, RekeyConf(1), "0b01"),
    (UP, RekeyInd(1), "0b01"),
    (DOWN, ADRParamSetupReq(10, 15), "0caf"),
    (UP, ADRParamSetupAns(), "0c"),
    (UP, DeviceTimeReq(), "0d"),
    (DOWN, DeviceTimeAns(1, 0), "0d0100000000"),
    (DOWN, DeviceTimeAns(1, 2), "0d0100000002"),
    (DOWN, ForceRejoinReq(3, 4, 2, 5), "0e251c"),
    (DOWN, RejoinParamSetupReq(14, 15), "0fef"),
    (UP, RejoinParamSetupAns(True), "0f01"),
    (UP, PingSlotInfoReq(3), "1003"),
    (DOWN, PingSlotInfoAns(), "10"),
    (DOWN, PingSlotChannelReq(868_100_000, 5), "1128768405"),
    (UP, PingSlotChannelAns(False, False), "1100"),
    (UP, PingSlotChannelAns(True, False), "1101"),
    (UP, PingSlotChannelAns(False, True), "1102"),
    (UP, PingSlotChannelAns(True, True), "1103"),
    (DOWN, BeaconFreqReq(868_100_000), "13287684"),
    (UP, BeaconFreqAns(False), "1300"),
    (UP, BeaconFreqAns(True), "1301"),
    (UP, DeviceModeInd(0), "2000"),
    (UP, DeviceModeInd(2), "2002"),
    (DOWN, DeviceModeConf(0), "2000"),
    (DOWN, DeviceModeConf(2), "2002"),
    # LoRaWAN 1.0.2 section 13.2 (BeaconTimingAns: Delay in 30 ms steps, Channel); not in chirpstack.
    (UP, BeaconTimingReq(), "12"),
    (DOWN, BeaconTimingAns(0x0102, 3), "12020103"),
]


@pytest.mark.parametrize(("uplink", "command", "hex_bytes"), VECTORS)
def test_vectors(uplink: bool, command: MACCommand, hex_bytes: str) -> None:
    assert command.UPLINK is uplink
    assert command.encode().hex() == hex_bytes
    assert parse_mac_commands(bytes.fromhex(hex_bytes), uplink=uplink) == [command]


def test_every_command_of_both_directions_is_registered() -> None:
    # LoRaWAN 1.1 table 4 and 1.0.4 table 4 plus the class B commands: CIDs 0x01-0x13 and 0x20.
    uplink = {cid for cid in range(256) if command_for(cid, uplink=True)}
    downlink = {cid for cid in range(256) if command_for(cid, uplink=False)}
    assert uplink == set(range(0x01, 0x14)) - {0x0E} | {0x20}
    assert downlink == set(range(0x01, 0x14)) | {0x20}


def test_lengths_differ_by_direction() -> None:
    # e.g. LinkCheckReq (up) has no payload while LinkCheckAns (down) has two bytes.
    assert parse_mac_commands(bytes.fromhex("02060102"), uplink=True) == [LinkCheckReq(), DevStatusAns(1, 2)]
    assert parse_mac_commands(bytes.fromhex("02060106"), uplink=False) == [LinkCheckAns(6, 1), DevStatusReq()]


def test_unknown_cid_stops_parsing() -> None:
    block = bytes.fromhex("06040380aabb")
    with pytest.raises(DecodeError) as info:
        parse_mac_commands(block, uplink=False)
    assert info.value.offset == 3
    assert "0x80" in str(info.value)
    commands, rest = parse_mac_commands_lenient(block, uplink=False)
    assert commands == [DevStatusReq(), DutyCycleReq(3)]
    assert rest == bytes.fromhex("80aabb")
    # ForceRejoinReq exists only downlink: on an uplink its CID is unknown.
    assert parse_mac_commands_lenient(b"\x0e\x00\x00", uplink=True) == ([], b"\x0e\x00\x00")


def test_truncated_command() -> None:
    with pytest.raises(DecodeError) as info:
        parse_mac_commands(bytes.fromhex("0312"), uplink=False)
    assert info.value.offset == 0
    assert parse_mac_commands_lenient(bytes.fromhex("03120400450d01"), uplink=False) == (
        [LinkADRReq(1, 2, 4, 4, 5)],
        b"\x0d\x01",
    )


def test_encode_range_errors() -> None:
    for command in (
        LinkADRReq(data_rate=16),
        DevStatusAns(margin=32),
        DutyCycleReq(16),
        NewChannelReq(frequency=868_100_050),
        DeviceTimeAns(seconds=-1),
        ForceRejoinReq(period=8),
    ):
        with pytest.raises(EncodeError):
            command.encode()


def test_block_round_trip() -> None:
    commands: list[MACCommand] = [LinkADRAns(True, True, True), DevStatusAns(200, -5), DeviceTimeReq()]
    block = encode_mac_commands(commands)
    assert block.hex() == "030706c83b0d"
    assert parse_mac_commands(block, uplink=True) == commands


@st.composite
def commands(draw: st.DrawFn) -> tuple[bool, MACCommand]:
    uplink = draw(st.booleans())
    cids = [cid for cid in range(256) if command_for(cid, uplink=uplink)]
    cls = command_for(draw(st.sampled_from(cids)), uplink=uplink)
    assert cls is not None
    payload = draw(st.binary(min_size=cls.LENGTH, max_size=cls.LENGTH))
    return uplink, cls.from_payload(payload)


@settings(deadline=None, max_examples=300)
@given(commands())
def test_every_command_round_trips(case: tuple[bool, MACCommand]) -> None:
    uplink, command = case
    assert parse_mac_commands(command.encode(), uplink=uplink) == [command]


@settings(deadline=None, max_examples=200)
@given(st.lists(commands(), max_size=8), st.booleans())
def test_blocks_round_trip(cases: list[tuple[bool, MACCommand]], uplink: bool) -> None:
    chosen = [command for direction, command in cases if direction is uplink]
    assert parse_mac_commands(encode_mac_commands(chosen), uplink=uplink) == chosen


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=40), st.booleans())
def test_random_blocks_parse_or_raise_typed_error(data: bytes, uplink: bool) -> None:
    commands_, rest = parse_mac_commands_lenient(data, uplink=uplink)
    assert data.endswith(rest)
    assert len(commands_) <= len(data)
    try:
        parse_mac_commands(data, uplink=uplink)
    except LoRaWANError:
        assert rest
    else:
        assert rest == b""
