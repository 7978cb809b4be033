"""Network Server uplink benchmark: starts NS processes on the machine's Redis and NATS, registers
many ABP devices, drives GsNs.HandleUplink over gRPC, drains AsNs.LinkApplication, and prints
uplinks/s with latency percentiles (the dedup window is subtracted from the end-to-end figure).
With --floor the same client drives bare HandleUplink servers that do nothing: the ceiling of unary
gRPC on this host, against which the NS figure reads.

    .venv/bin/python benchmarks/bench_ns_uplink.py --devices 2000 --uplinks 20000 --replicas 2
    .venv/bin/python benchmarks/bench_ns_uplink.py --uplinks 20000 --replicas 2 --floor
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import nats
import uvloop
from google.protobuf import empty_pb2, field_mask_pb2
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lib"), str(ROOT / "services" / "ns")]

from lorastack.lorawan import (  # noqa: E402
    FHDR,
    MHDR,
    AES128Key,
    DevAddr,
    FCtrl,
    MACPayload,
    MType,
    PHYPayload,
    data_uplink_mic_1_0,
)
from ttn.lorawan.v3 import (  # noqa: E402
    end_device_pb2,
    identifiers_pb2,
    keys_pb2,
    lorawan_pb2,
    messages_pb2,
    metadata_pb2,
    networkserver_pb2_grpc,
)

APP = "bench-app"
KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
CLUSTER_KEY = os.urandom(16)
CLUSTER_MD = (("authorization", f"ClusterKey {CLUSTER_KEY.hex()}"),)
PLAN_FREQUENCIES = [868_100_000, 868_300_000, 868_500_000, *range(867_100_000, 867_900_001, 200_000)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_ns(tag: str, window_ms: int, profile: str | None = None) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT / 'lib'}:{ROOT / 'services' / 'ns'}",
        LORASTACK_GRPC_ADDRESS=f"127.0.0.1:{port}",
        LORASTACK_HTTP_ADDRESS=f"127.0.0.1:{_free_port()}",
        LORASTACK_REDIS_PREFIX=f"bench:{tag}",
        LORASTACK_EVENTS_STREAM=f"BENCH_NS_{tag}",
        LORASTACK_EVENTS_SUBJECT_PREFIX=f"bench.ns.{tag}",
        LORASTACK_CLUSTER_KEYS=CLUSTER_KEY.hex(),
        LORASTACK_NS_NET_ID="000013",
        LORASTACK_NS_DEDUP_WINDOW_MS=str(window_ms),
        LORASTACK_LOG_LEVEL="warning",
    )
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    process = subprocess.Popen([sys.executable, *profiling, "-m", "networkserver"], env=env, cwd=ROOT)
    return process, port


def _start_floor() -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve-floor", str(port)], cwd=ROOT)
    return process, port


def _serve_floor(port: int) -> None:
    """The --floor child: a GsNs.HandleUplink that does nothing, on grpc.aio and uvloop as the NS runs."""

    class Bare(networkserver_pb2_grpc.GsNsServicer):
        async def HandleUplink(self, request: messages_pb2.UplinkMessage, context: object) -> empty_pb2.Empty:
            return empty_pb2.Empty()

    async def serve() -> None:
        server = grpc.aio.server()
        networkserver_pb2_grpc.add_GsNsServicer_to_server(Bare(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        await server.wait_for_termination()

    uvloop.run(serve())


def _device(index: int) -> end_device_pb2.EndDevice:
    return end_device_pb2.EndDevice(
        ids=identifiers_pb2.EndDeviceIdentifiers(
            device_id=f"dev-{index}", application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP)
        ),
        frequency_plan_id="EU_863_870",
        # Set up with the plan's channels, as ABP devices are: no NewChannelReq on every uplink.
        mac_settings=end_device_pb2.MACSettings(factory_preset_frequencies=PLAN_FREQUENCIES),
        lorawan_version=lorawan_pb2.MAC_V1_0_3,
        lorawan_phy_version=lorawan_pb2.PHY_V1_0_3_REV_A,
        session=end_device_pb2.Session(
            dev_addr=_addr(index).value, keys=keys_pb2.SessionKeys(f_nwk_s_int_key=keys_pb2.KeyEnvelope(key=KEY))
        ),
    )


def _addr(index: int) -> DevAddr:
    return DevAddr.from_int(0x26000000 | index)


def _frame(index: int, f_cnt: int, serial: int) -> bytes:
    addr = _addr(index)
    payload = MACPayload(FHDR(addr, FCtrl(), f_cnt), 1, serial.to_bytes(4, "big"))
    signed = PHYPayload(MHDR(MType.UNCONFIRMED_DATA_UP), payload, b"\0" * 4).encode_without_mic()
    return signed + data_uplink_mic_1_0(AES128Key(KEY), addr, f_cnt, signed)


def _uplink(raw: bytes) -> messages_pb2.UplinkMessage:
    return messages_pb2.UplinkMessage(
        raw_payload=raw,
        settings=lorawan_pb2.TxSettings(
            data_rate=lorawan_pb2.DataRate(lora=lorawan_pb2.LoRaDataRate(bandwidth=125_000, spreading_factor=7)),
            frequency=868_100_000,
        ),
        rx_metadata=[metadata_pb2.RxMetadata(gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id="gw"))],
    )


async def _wait_ready(port: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)


async def _register(port: int, count: int) -> None:
    paths = ["frequency_plan_id", "mac_settings", "lorawan_version", "lorawan_phy_version", "session"]
    mask = field_mask_pb2.FieldMask(paths=paths)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = networkserver_pb2_grpc.NsEndDeviceRegistryStub(channel)
        limit = asyncio.Semaphore(64)

        async def one(index: int) -> None:
            async with limit:
                request = end_device_pb2.SetEndDeviceRequest(end_device=_device(index), field_mask=mask)
                await stub.Set(request, metadata=CLUSTER_MD)

        await asyncio.gather(*(one(i) for i in range(count)))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _drive(
    stubs: list[networkserver_pb2_grpc.GsNsStub],
    frames: list[bytes],
    concurrency: int,
    sent_at: dict[int, float],
    rate: float = 0,
) -> list[float]:
    """Send every frame with at most ``concurrency`` calls in flight, ``rate`` a second when set
    (else as fast as answers come); the latency of each call."""
    limit = asyncio.Semaphore(concurrency)
    latency: list[float] = []
    start = time.perf_counter()

    async def send(serial: int) -> None:
        if rate:
            await asyncio.sleep(start + serial / rate - time.perf_counter())
        async with limit:
            sent_at[serial] = begin = time.perf_counter()
            await stubs[serial % len(stubs)].HandleUplink(_uplink(frames[serial]), metadata=CLUSTER_MD)
            latency.append(time.perf_counter() - begin)

    await asyncio.gather(*(send(i) for i in range(len(frames))))
    return latency


def _frames(args: argparse.Namespace) -> list[bytes]:
    return [_frame(i % args.devices, i // args.devices + 1, i) for i in range(args.uplinks)]


async def run_floor(args: argparse.Namespace) -> None:
    started = [_start_floor() for _ in range(args.replicas)]
    try:
        await asyncio.gather(*(_wait_ready(port) for _, port in started))
        frames = _frames(args)
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for _, port in started]
        stubs = [networkserver_pb2_grpc.GsNsStub(c) for c in channels]
        cpu_before, client_before = sum(_process_cpu(p.pid) for p, _ in started), time.process_time()
        begin = time.perf_counter()
        latency = await _drive(stubs, frames, args.concurrency, {}, args.rate)
        seconds = time.perf_counter() - begin
        cpu = sum(_process_cpu(p.pid) for p, _ in started) - cpu_before
        client = time.process_time() - client_before
        for channel in channels:
            await channel.close()
        print(f"floor: bare HandleUplink servers {args.replicas}, uplinks {args.uplinks}, in flight {args.concurrency}")
        print(f"{'measure':<38}{'value':>12}")
        print(f"{'HandleUplink accepted /s':<38}{args.uplinks / seconds:>12.0f}")
        print(f"{'HandleUplink RPC ms p50/p99':<38}{f'{_pct(latency, 0.5):.2f} {_pct(latency, 0.99):.2f}':>20}")
        print(f"{'server CPU ms per uplink':<38}{cpu * 1000 / args.uplinks:>12.3f}")
        print(f"{'client CPU ms per uplink':<38}{client * 1000 / args.uplinks:>12.3f}")
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(15)


async def run(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    started = [
        _start_ns(tag, args.window_ms, f"{args.profile}.{i}" if args.profile else None) for i in range(args.replicas)
    ]
    ports = [port for _, port in started]
    try:
        await asyncio.gather(*(_wait_ready(p) for p in ports))
        await _register(ports[0], args.devices)
        frames = _frames(args)
        sent_at: dict[int, float] = {}
        e2e_latency: list[float] = []
        done = asyncio.Event()
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{p}") for p in ports]

        async def link() -> None:
            acks: asyncio.Queue[empty_pb2.Empty] = asyncio.Queue()

            async def requests() -> AsyncIterator[empty_pb2.Empty]:
                while True:
                    yield await acks.get()

            stub = networkserver_pb2_grpc.AsNsStub(channels[-1])
            call = stub.LinkApplication(requests(), metadata=(*CLUSTER_MD, ("id", APP)))
            received = 0
            async for up in call:
                acks.put_nowait(empty_pb2.Empty())
                serial = int.from_bytes(up.uplink_message.frm_payload, "big")
                e2e_latency.append(time.perf_counter() - sent_at[serial] - args.window_ms / 1000)
                received += 1
                if received >= args.uplinks:
                    done.set()
                    call.cancel()
                    return

        reader = asyncio.create_task(link())
        stubs = [networkserver_pb2_grpc.GsNsStub(c) for c in channels]
        begin = time.perf_counter()
        cpu_before, client_before = sum(_process_cpu(process.pid) for process, _ in started), time.process_time()
        rpc_latency = await _drive(stubs, frames, args.concurrency, sent_at, args.rate)
        sent_seconds = time.perf_counter() - begin
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 60)
        total = time.perf_counter() - begin
        reader.cancel()
        for channel in channels:
            await channel.close()
        delivered = len(e2e_latency)
        cpu = sum(_process_cpu(process.pid) for process, _ in started) - cpu_before
        client = time.process_time() - client_before
        print(f"devices {args.devices}, uplinks {args.uplinks}, NS replicas {args.replicas}")
        print(f"in flight {args.concurrency}, dedup window {args.window_ms} ms, rate {args.rate or 'open'}")
        print(f"{'measure':<38}{'value':>12}")
        print(f"{'HandleUplink accepted /s':<38}{args.uplinks / sent_seconds:>12.0f}")
        print(f"{'delivered to the AS link /s':<38}{delivered / total:>12.0f}")
        print(f"{'delivered / sent':<38}{delivered:>7}/{args.uplinks}")
        for name, values in (("HandleUplink RPC ms", rpc_latency), ("GS->AS minus window ms", e2e_latency)):
            figures = f"{_pct(values, 0.5):.2f} {_pct(values, 0.95):.2f} {_pct(values, 0.99):.2f}"
            print(f"{name + ' p50/p95/p99':<38}{figures:>20}")
        if e2e_latency:
            print(f"{'GS->AS mean ms':<38}{statistics.mean(e2e_latency) * 1000:>12.2f}")
        print(f"{'NS CPU ms per uplink':<38}{cpu * 1000 / max(1, delivered):>12.3f}")
        print(f"{'client CPU ms per uplink':<38}{client * 1000 / max(1, delivered):>12.3f}")
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
        await _cleanup(tag)


def _process_cpu(pid: int) -> float:
    """User plus system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _cleanup(tag: str) -> None:
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    keys = [k async for k in redis.scan_iter(match=f"bench:{tag}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    nc = await nats.connect("nats://127.0.0.1:4222")
    with contextlib.suppress(Exception):
        await nc.jsm().delete_stream(f"BENCH_NS_{tag}")
    await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--uplinks", type=int, default=10000)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--window-ms", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=0, help="offer this many uplinks/s (CPU per uplink below saturation)"
    )
    parser.add_argument("--profile", help="write a cProfile of each NS process to PROFILE.<n>")
    parser.add_argument("--floor", action="store_true", help="drive bare HandleUplink servers instead of the NS")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.floor and args.devices < 2 * args.concurrency:
        # Frames of one device in flight together overtake each other, and the NS drops the late as replays.
        parser.error("--devices must be at least twice --concurrency")
    if args.serve_floor:
        _serve_floor(args.serve_floor)
    else:
        uvloop.run(run_floor(args) if args.floor else run(args))


if __name__ == "__main__":
    main()
