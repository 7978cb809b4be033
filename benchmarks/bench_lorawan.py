"""Micro-benchmark of the LoRaWAN library: frames decoded + MIC-verified per second, and MAC-command
blocks parsed per second, on this machine. A script, not a test: ``python benchmarks/bench_lorawan.py``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))

from lorastack.lorawan import AES128Key, DevAddr, MACPayload, decode_phy_payload
from lorastack.lorawan.crypto import (
    data_uplink_mic_1_0,
    data_uplink_mic_1_1,
    encrypt_frm_payload,
    mic_equal,
)
from lorastack.lorawan.maccommands import parse_mac_commands

DEVICES = 1000


def _frames(version_1_1: bool) -> list[tuple[bytes, AES128Key]]:
    frames = []
    for i in range(DEVICES):
        key = AES128Key(i.to_bytes(16, "big"))
        addr = DevAddr.from_int(0x26000000 + i)
        fcnt = 1000 + i
        payload = encrypt_frm_payload(key, addr, fcnt, b"temperature=21.5;humidity=40", uplink=True)
        msg = b"\x40" + addr.to_le() + b"\x80" + (fcnt & 0xFFFF).to_bytes(2, "little") + b"\x0a" + payload
        if version_1_1:
            mic = data_uplink_mic_1_1(key, key, addr, fcnt, msg, tx_dr=5, tx_ch=2)
        else:
            mic = data_uplink_mic_1_0(key, addr, fcnt, msg)
        frames.append((msg + mic, key))
    return frames


def _rate(work: Callable[[], int], seconds: float = 2.0) -> float:
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    return done / elapsed


def bench_uplinks(version_1_1: bool) -> float:
    frames = _frames(version_1_1)

    def work() -> int:
        for frame, key in frames:
            phy = decode_phy_payload(frame)
            payload = phy.payload
            assert isinstance(payload, MACPayload)
            fcnt = payload.fhdr.f_cnt
            msg = frame[:-4]
            if version_1_1:
                mic = data_uplink_mic_1_1(key, key, payload.fhdr.dev_addr, fcnt, msg, tx_dr=5, tx_ch=2)
            else:
                mic = data_uplink_mic_1_0(key, payload.fhdr.dev_addr, fcnt, msg)
            mic_equal(mic, phy.mic)
        return len(frames)

    return _rate(work)


def bench_decrypt() -> float:
    frames = _frames(False)

    def work() -> int:
        for frame, key in frames:
            phy = decode_phy_payload(frame)
            payload = phy.payload
            assert isinstance(payload, MACPayload)
            encrypt_frm_payload(key, payload.fhdr.dev_addr, payload.fhdr.f_cnt, payload.frm_payload, uplink=True)
        return len(frames)

    return _rate(work)


def bench_mac_blocks() -> float:
    # A typical FOpts block: LinkADRAns, DevStatusAns, DeviceTimeReq, LinkCheckReq.
    block = bytes.fromhex("030706c83b0d02")

    def work() -> int:
        for _ in range(1000):
            parse_mac_commands(block, uplink=True)
        return 1000

    return _rate(work)


def main() -> None:
    rows = [
        ("1.0.x uplinks decoded + MIC verified", bench_uplinks(False)),
        ("1.1 uplinks decoded + MIC verified (2 CMACs)", bench_uplinks(True)),
        ("uplinks decoded + FRMPayload decrypted", bench_decrypt()),
        ("MAC-command blocks parsed (4 commands)", bench_mac_blocks()),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  {'per second':>12}  {'us each':>8}")
    for name, rate in rows:
        print(f"{name:<{width}}  {rate:>12,.0f}  {1e6 / rate:>8.1f}")


if __name__ == "__main__":
    main()
