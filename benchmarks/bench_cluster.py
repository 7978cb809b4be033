"""Cluster benchmark: the five real processes on free ports, loaded by the simulator (UDP gateways, OTAA
devices) with an MQTT client as the application; prints one table (throughput, per-hop latency, downlinks
in time, losses, CPU and RSS per service) beside this machine's floor measured in the same run, and a JSON file.

    .venv/bin/python benchmarks/bench_cluster.py --devices 400 --rate 100 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import socket
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lib")]

import aiohttp  # noqa: E402
import psutil  # noqa: E402
import uvloop  # noqa: E402
from cluster_floor import PER_UPLINK, cpu_of, measure_floor  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from lorastack.devcluster import LocalCluster  # noqa: E402
from lorastack.lorawan.frequencyplans import get_plan  # noqa: E402
from lorastack.sim.device import EndDevice, GatewayLink  # noqa: E402
from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion  # noqa: E402
from lorastack.sim.fleet import device_profiles, gateway_identities  # noqa: E402
from lorastack.sim.provision import Endpoints, Provisioner  # noqa: E402
from lorastack.sim.udp import UdpGateway  # noqa: E402

ROLES = ("is", "gs", "ns", "as", "js")
PLAN = "EU_863_870"
APP = "bench"


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _profiling_python(folder: Path) -> str:
    """An interpreter stand-in that runs each server (``-m <module>`` alone) under cProfile, writing
    ``<folder>/<module>.prof`` when the process exits; other commands run as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python-profiled"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$#" = 2 ] && [ "$1" = -m ]; then exec {sys.executable} -m cProfile -o {folder}/"$2".prof -m "$2"; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    script.chmod(0o755)
    return str(script)


def _cluster(tmp: Path, token: str, profile: Path | None = None) -> LocalCluster:
    env = {
        "LORASTACK_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/lorastack_bench_{token}",
        "LORASTACK_EVENTS_STREAM": f"BENCH_EVENTS_{token.upper()}",
        "LORASTACK_EVENTS_SUBJECT_PREFIX": f"bench.{token}.events",
        "LORASTACK_LOG_FORMAT": "json",
        "LORASTACK_LOG_LEVEL": "warning",
    }
    role_env = {role: {"LORASTACK_REDIS_PREFIX": f"bench-{token}:{role}"} for role in ROLES}
    role_env["gs"]["LORASTACK_GS_UDP_ADDRESS"] = f"127.0.0.1:{_free_port(socket.SOCK_DGRAM)}"
    role_env["gs"]["LORASTACK_GS_BASICSTATION_ADDRESS"] = f"127.0.0.1:{_free_port()}"
    role_env["as"]["LORASTACK_AS_MQTT_ADDRESS"] = f"127.0.0.1:{_free_port()}"
    ports = {role: (_free_port(), _free_port()) for role in ROLES}
    python = _profiling_python(profile) if profile is not None else sys.executable
    return LocalCluster(
        ports=ports, cluster_key=secrets.token_bytes(16), log_dir=tmp, env=env, role_env=role_env, python=python
    )


async def _cleanup(token: str) -> None:
    import nats
    import psycopg
    from redis.asyncio import Redis

    async with await psycopg.AsyncConnection.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
    ) as conn:
        await conn.execute(f"DROP DATABASE IF EXISTS lorastack_bench_{token} WITH (FORCE)")  # type: ignore[arg-type]
    client = await nats.connect("nats://127.0.0.1:4222")
    with contextlib.suppress(Exception):  # the stream may never have been created
        await client.jetstream().delete_stream(f"BENCH_EVENTS_{token.upper()}")
    await client.close()
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    async for key in redis.scan_iter(match=f"bench-{token}:*", count=1000):
        await redis.delete(key)
    await redis.aclose()


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


@dataclass
class ProcessWatch:
    """CPU seconds and peak RSS (sampled in the background) of each role's process."""

    processes: dict[str, psutil.Process]
    peak_rss: dict[str, int] = field(default_factory=dict)

    def cpu(self) -> dict[str, float]:
        return {role: cpu_of(proc) for role, proc in self.processes.items()}

    async def sample(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for role, proc in self.processes.items():
                self.peak_rss[role] = max(self.peak_rss.get(role, 0), proc.memory_info().rss)
            await asyncio.sleep(0.5)


Buckets = dict[str, list[tuple[float, float]]]


async def _histograms(http: aiohttp.ClientSession, cluster: LocalCluster) -> Buckets:
    """Cumulative bucket counts of every latency histogram of every role, keyed by name and label."""
    out: Buckets = {}
    for rp in cluster.roles.values():
        async with http.get(f"{rp.http_url}/metrics") as resp:
            text = await resp.text()
        for family in text_string_to_metric_families(text):
            if family.type != "histogram" or not family.name.endswith("_seconds"):
                continue
            for sample in family.samples:
                if not sample.name.endswith("_bucket"):
                    continue
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "le")
                name = f"{family.name}{{{labels}}}" if labels else family.name
                out.setdefault(name, []).append((float(sample.labels["le"]), sample.value))
    return out


def _quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """Linear interpolation inside the bucket holding the q-th observation, as Prometheus does."""
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            inside = count - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = upper, count
    return lower


def _hop_percentiles(before: Buckets, after: Buckets) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for name, series in after.items():
        old = dict(before.get(name, []))
        delta = [(le, count - old.get(le, 0.0)) for le, count in series]
        count = max((c for _, c in delta), default=0.0)
        if count <= 0:
            continue
        p50, p99 = _quantile(delta, 0.5), _quantile(delta, 0.99)
        out[name] = {"count": int(count), "p50_ms": _ms(p50), "p99_ms": _ms(p99)}
    return out


def _ms(s: float | None) -> float | None:
    return None if s is None else round(s * 1000, 2)


class Application:
    """The application side: an MQTT client (paho in its thread) noting when each uplink arrives."""

    def __init__(self, port: int, api_key: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.arrivals: dict[tuple[str, int], float] = {}
        self.duplicates = 0
        self._ready = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
        self._client.username_pw_set(APP, api_key)
        self._client.on_subscribe = lambda *_: loop.call_soon_threadsafe(self._ready.set_result, None)
        self._client.on_message = self._message
        self._client.connect("127.0.0.1", port)
        self._client.subscribe(f"v3/{APP}/devices/+/up", 0)
        self._client.loop_start()

    def _message(self, client: Any, userdata: Any, message: Any) -> None:
        arrived = time.time()
        body = json.loads(message.payload)
        key = (body["end_device_ids"]["device_id"], int(body["uplink_message"].get("f_cnt", 0)))
        if key in self.arrivals:
            self.duplicates += 1
        else:
            self.arrivals[key] = arrived

    async def ready(self) -> None:
        await asyncio.wait_for(self._ready, 10)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class Load:
    devices: list[EndDevice]
    gateways: list[UdpGateway]
    sent: dict[tuple[str, int], float] = field(default_factory=dict)


async def _provision(cluster: LocalCluster, admin_key: str, args: argparse.Namespace) -> tuple[str, Load, float]:
    import grpc

    from ttn.lorawan.v3 import application_pb2, application_services_pb2_grpc, identifiers_pb2, rights_pb2

    roles = cluster.roles
    endpoints = Endpoints(
        roles["is"].grpc_target, roles["js"].grpc_target, roles["ns"].grpc_target, roles["as"].grpc_target
    )
    provisioner = Provisioner(endpoints, admin_key, APP)
    identities = gateway_identities("bench", args.gateways)
    profiles = device_profiles(
        "bench", args.devices, seed=1, activation=Activation.OTAA, version=LoRaWANVersion.V1_0_3,
        device_class=DeviceClass.A, frequency_plan_id=PLAN, payload_size=args.payload_size,
        dev_nonce_start=int(time.time()) % 50_000,
    )  # fmt: skip
    try:
        await provisioner.ensure_application()
        for identity in identities:
            await provisioner.register_gateway(identity.gateway_id, identity.eui, PLAN)
            if args.no_duty_cycle:  # measure the servers, not the regulations: EU868 RX1 allows ~1 join/6 s
                await _no_duty_cycle(roles["is"].grpc_target, admin_key, identity.gateway_id)
        started = time.monotonic()
        await provisioner.register_devices(profiles, concurrency=32)
        registration = time.monotonic() - started
    finally:
        await provisioner.close()
    async with grpc.aio.insecure_channel(endpoints.identity_server) as channel:
        created = await application_services_pb2_grpc.ApplicationAccessStub(channel).CreateAPIKey(
            application_pb2.CreateApplicationAPIKeyRequest(
                application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP),
                name="bench",
                rights=[rights_pb2.RIGHT_APPLICATION_ALL],
            ),
            metadata=(("authorization", f"Bearer {admin_key}"),),
        )
    plan = get_plan(PLAN)
    udp = _host_port(roles["gs"].env["LORASTACK_GS_UDP_ADDRESS"])
    gateways = [UdpGateway(identity, plan, udp) for identity in identities]
    rng = random.Random(3)
    devices = []
    for index, profile in enumerate(profiles):
        heard_by = [gateways[(index + k) % len(gateways)] for k in range(min(args.copies, len(gateways)))]
        links = [GatewayLink(gw, rssi=rng.uniform(-100, -60), snr=rng.uniform(0, 10)) for gw in heard_by]
        devices.append(EndDevice(profile, links, plan=plan, rng=random.Random(rng.random())))
    return str(created.key), Load(devices, gateways), registration


async def _no_duty_cycle(target: str, admin_key: str, gateway_id: str) -> None:
    import grpc

    from ttn.lorawan.v3 import gateway_pb2, gateway_services_pb2_grpc, identifiers_pb2

    gateway = gateway_pb2.Gateway(ids=identifiers_pb2.GatewayIdentifiers(gateway_id=gateway_id))
    async with grpc.aio.insecure_channel(target) as channel:
        await gateway_services_pb2_grpc.GatewayRegistryStub(channel).Update(
            gateway_pb2.UpdateGatewayRequest(gateway=gateway, field_mask={"paths": ["enforce_duty_cycle"]}),
            metadata=(("authorization", f"Bearer {admin_key}"),),
        )


async def _join(load: Load, rate: float, timeout: float) -> dict[str, float]:
    """Join-requests at ``rate`` per second (retried after their windows) until all joined."""
    first = time.monotonic()
    joined_at: dict[int, float] = {}
    deadline = first + timeout
    while len(joined_at) < len(load.devices) and time.monotonic() < deadline:
        budget = max(1, int(rate * 0.05))
        for index, device in enumerate(load.devices):
            if device.joined:
                joined_at.setdefault(index, time.monotonic())
            elif not device.busy and budget > 0:
                device.send_uplink()
                budget -= 1
        await asyncio.sleep(0.05)
    last = max(joined_at.values(), default=first)
    # The JS and NS answer at once, the device hears the accept in RX1 five seconds later: leave that out.
    busy = max(0.001, last - first - 5.0)
    requests = sum(d.counters.join_requests for d in load.devices)
    return {"joined": len(joined_at), "join_requests": requests, "joins_per_second": round(len(joined_at) / busy, 1)}


async def _talk(
    device: EndDevice, load: Load, interval: float, until: float, confirmed: float, rng: random.Random
) -> None:
    await asyncio.sleep(rng.uniform(0, interval))
    while time.monotonic() < until:
        if not device.busy and device.session is not None:
            f_cnt = device.session.f_cnt_up
            if device.send_uplink(confirmed=rng.random() < confirmed):
                load.sent[(device.profile.device_id, f_cnt)] = time.time()
        await asyncio.sleep(interval)


def _report(
    args: argparse.Namespace, joins: dict[str, float], load: Load, app: Application, **parts: Any
) -> dict[str, Any]:
    delivered = [k for k in load.sent if k in app.arrivals]
    latencies = [app.arrivals[k] - load.sent[k] for k in delivered]
    cpu: dict[str, float] = parts["cpu"]
    per_1000 = {role: round(seconds / max(len(delivered), 1) * 1000, 3) for role, seconds in cpu.items()}
    cluster_us = sum(cpu.values()) / max(len(delivered), 1) * 1e6
    downs = sum(gw.counters.downlinks for gw in load.gateways)
    late = sum(gw.counters.downlinks_too_late for gw in load.gateways)
    window_ms = parts["dedup_window_ms"]
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [None] * 99
    p50, p99 = cuts[49], cuts[98]
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": vars(args),
        "registration_devices_per_second": round(args.devices / parts["registration"], 1),
        "joins": joins,
        "uplinks_sent": len(load.sent),
        "uplinks_delivered": len(delivered),
        "uplinks_lost": len(load.sent) - len(delivered),
        "uplinks_duplicated": app.duplicates,
        "uplinks_per_second_offered": round(len(load.sent) / args.duration, 1),
        "uplinks_per_second_end_to_end": round(len(delivered) / parts["elapsed"], 1),
        "end_to_end_ms": {"p50": _ms(p50), "p99": _ms(p99), "dedup_window": window_ms},
        "end_to_end_minus_dedup_ms": {
            "p50": None if p50 is None else round(p50 * 1000 - window_ms, 2),
            "p99": None if p99 is None else round(p99 * 1000 - window_ms, 2),
        },
        "hops": parts["hops"],
        "downlinks": {
            "transmitted": downs,
            "too_late": late,
            "in_time_share": round((downs - late) / downs, 4) if downs else None,
            "received_by_devices": sum(d.counters.downlinks for d in load.devices),
        },
        "cpu_seconds_per_1000_uplinks": per_1000,
        "cpu_seconds_simulator_and_app": round(parts["own_cpu"], 2),
        "cpu_seconds_per_1000_uplinks_simulator_and_app": round(parts["own_cpu"] / max(len(delivered), 1) * 1000, 3),
        "host_cpu_busy_share": parts["host_busy"],
        "peak_rss_mb": {role: round(rss / 2**20, 1) for role, rss in parts["rss"].items()},
        "floor_us": parts["floor"],
        "cluster_cpu_us_per_uplink": round(cluster_us, 1),
        "ratio_to_floor": round(cluster_us / parts["floor"]["per_uplink"], 2) if parts["floor"]["per_uplink"] else None,
    }


def _table(r: dict[str, Any]) -> str:
    e2e, minus, floor, downs = r["end_to_end_ms"], r["end_to_end_minus_dedup_ms"], r["floor_us"], r["downlinks"]
    rows = [
        ("uplinks/s end to end", r["uplinks_per_second_end_to_end"], f"offered {r['uplinks_per_second_offered']}"),
        ("joins/s", r["joins"]["joins_per_second"], f"{r['joins']['joined']} joined"),
        ("gw receive -> MQTT p50/p99 ms", f"{e2e['p50']} / {e2e['p99']}", f"dedup window {e2e['dedup_window']} ms"),
        ("  without dedup window p50/p99", f"{minus['p50']} / {minus['p99']}", ""),
        *(
            (f"  {name.removeprefix('lorastack_')}", f"{hop['p50_ms']} / {hop['p99_ms']}", f"n={hop['count']}")
            for name, hop in sorted(r["hops"].items())
        ),
        ("downlinks in time", downs["in_time_share"], f"{downs['transmitted']} sent, {downs['too_late']} late"),
        ("uplinks lost", r["uplinks_lost"], f"of {r['uplinks_sent']}; {r['uplinks_duplicated']} duplicated"),
        *(
            (f"CPU s/1000 uplinks {role}", cpu, f"peak RSS {r['peak_rss_mb'][role]} MB")
            for role, cpu in r["cpu_seconds_per_1000_uplinks"].items()
        ),
        (
            "CPU s/1000 uplinks benchmark",
            r["cpu_seconds_per_1000_uplinks_simulator_and_app"],
            f"simulator + MQTT client; {r['cpu_seconds_simulator_and_app']} s in all",
        ),
        ("host CPU busy during the load", r["host_cpu_busy_share"], "share of all cores, any process"),
        ("cluster CPU per uplink (us)", r["cluster_cpu_us_per_uplink"], f"floor {floor['per_uplink']} us"),
        ("ratio to floor", r["ratio_to_floor"], ""),
        *((f"  floor {name} (us)", floor[name], f"x{count} per uplink") for name, count in PER_UPLINK.items()),
    ]
    width = max(len(row[0]) for row in rows)
    return "\n".join(f"{a:<{width}}  {b!s:>16}  {c}" for a, b, c in rows)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    token = uuid.uuid4().hex[:8]
    log_dir = Path(args.logs or ROOT / "var" / f"bench-{token}")
    cluster = _cluster(log_dir, token, Path(args.profile) if args.profile else None)
    try:
        await cluster.start(timeout=90)
        printed = await cluster.bootstrap()
        admin_key = next(line.rsplit(" ", 1)[1] for line in printed.splitlines() if "API key" in line)
        floor = await measure_floor()
        api_key, load, registration = await _provision(cluster, admin_key, args)
        processes = {role: psutil.Process(rp.process.pid) for role, rp in cluster.roles.items() if rp.process}
        watch, stop = ProcessWatch(processes), asyncio.Event()
        sampler = asyncio.create_task(watch.sample(stop))
        app = Application(_host_port(cluster.roles["as"].env["LORASTACK_AS_MQTT_ADDRESS"])[1], api_key)
        await app.ready()
        for gateway in load.gateways:
            await gateway.start()
            await gateway.wait_connected()
        joins = await _join(load, args.join_rate, timeout=120)
        await asyncio.sleep(3)  # the last join-accepts' windows
        async with aiohttp.ClientSession() as http:
            before = await _histograms(http, cluster)
            marked = watch.cpu()
            me, own_start = psutil.Process(), cpu_of(psutil.Process())
            psutil.cpu_percent()  # starts the host-wide measurement: others' load skews every figure
            started = time.monotonic()
            interval = len(load.devices) / args.rate
            until = started + args.duration
            rng = random.Random(5)
            await asyncio.gather(
                *(
                    _talk(d, load, interval, until, args.confirmed_share, random.Random(rng.random()))
                    for d in load.devices
                )
            )
            drained = time.monotonic() + 15
            while time.monotonic() < drained and not all(k in app.arrivals for k in load.sent):  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            cpu = {role: seconds - marked[role] for role, seconds in watch.cpu().items()}
            own = cpu_of(me) - own_start
            host_busy = round(psutil.cpu_percent() / 100, 3)
            after = await _histograms(http, cluster)
        stop.set()
        await sampler
        app.close()
        for gateway in load.gateways:
            await gateway.stop()
        window = int(cluster.roles["ns"].env.get("LORASTACK_NS_DEDUP_WINDOW_MS", "200"))
        return _report(
            args, joins, load, app, cpu=cpu, rss=watch.peak_rss, hops=_hop_percentiles(before, after),
            floor=floor, registration=registration, elapsed=min(elapsed, args.duration), own_cpu=own,
            dedup_window_ms=window, host_busy=host_busy,
        )  # fmt: skip
    finally:
        await cluster.stop()
        await _cleanup(token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=400)
    parser.add_argument("--gateways", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1, help="gateways that hear each uplink")
    parser.add_argument("--rate", type=float, default=100.0, help="uplinks per second over all devices")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of uplink traffic")
    parser.add_argument("--join-rate", type=float, default=100.0, help="join-requests per second at the start")
    parser.add_argument("--confirmed-share", type=float, default=0.05, help="share of confirmed uplinks")
    parser.add_argument("--payload-size", type=int, default=12)
    parser.add_argument("--no-duty-cycle", action="store_true", help="gateways do not enforce the duty cycle")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench_cluster.json"))
    parser.add_argument("--logs", default="", help="folder for the processes' logs")
    parser.add_argument(
        "--profile", default="", help="folder for a cProfile dump of each server (<module>.prof; read with pstats)"
    )
    args = parser.parse_args()
    if args.rate * 2.3 > args.devices:
        parser.error("a class A device sends at most once per ~2.3 s (its receive windows): raise --devices")
    result = uvloop.run(bench(args))
    print(_table(result))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
