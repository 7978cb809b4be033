"""Application Server uplink benchmark: ApplicationUp messages from a fake Network Server's link through the real
AS (in-process, real Redis and NATS) to an AppAs.Subscribe client; prints messages/s, latency percentiles and
the payload formatter's cost per call. A script, not a test: ``python benchmarks/bench_as_uplink.py --count 5000``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT / "lib"), str(_ROOT / "services" / "as")]

import grpc  # noqa: E402
from google.protobuf import empty_pb2  # noqa: E402

from applicationserver.config import ApplicationServerConfig  # noqa: E402
from applicationserver.formatters import JavaScriptEngine, PayloadFormatters  # noqa: E402
from applicationserver.server import build  # noqa: E402
from lorastack.config import load  # noqa: E402
from lorastack.lorawan.crypto import encrypt_frm_payload  # noqa: E402
from lorastack.lorawan.devaddr import DevAddr  # noqa: E402
from lorastack.lorawan.keys import AES128Key  # noqa: E402
from lorastack.storage import redis as lsredis  # noqa: E402
from ttn.lorawan.v3 import (  # noqa: E402
    application_services_pb2_grpc,
    applicationserver_pb2,
    applicationserver_pb2_grpc,
    identifiers_pb2,
    joinserver_pb2,
    joinserver_pb2_grpc,
    keys_pb2,
    messages_pb2,
    networkserver_pb2_grpc,
    rights_pb2,
)

APP_ID = "bench-app"
APP_S_KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
DEV_ADDR = bytes.fromhex("26011BDA")
SESSION = b"bench-session"
TOKEN = "NNSXS.BENCH.SECRET"
CLUSTER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
DECODER = """
function decodeUplink(input) {
  return { data: { temperature: (input.bytes[0] << 8 | input.bytes[1]) / 10, humidity: input.bytes[2] } };
}
"""


class Peers(
    networkserver_pb2_grpc.AsNsServicer,
    joinserver_pb2_grpc.AsJsServicer,
    application_services_pb2_grpc.ApplicationAccessServicer,
):
    """The AS's peers in one servicer: a link that streams what is queued, the AppSKey, and every right."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[messages_pb2.ApplicationUp] = asyncio.Queue()
        self.linked = asyncio.Event()
        self.acks = 0

    async def LinkApplication(self, request_iterator: AsyncIterator[empty_pb2.Empty], context: Any) -> Any:
        async def count() -> None:
            async for _ in request_iterator:
                self.acks += 1

        counter = asyncio.create_task(count())
        self.linked.set()
        try:
            while True:
                yield await self.outbox.get()
        finally:
            counter.cancel()

    async def GetAppSKey(self, request: Any, context: Any) -> joinserver_pb2.AppSKeyResponse:
        return joinserver_pb2.AppSKeyResponse(app_s_key=keys_pb2.KeyEnvelope(key=APP_S_KEY))

    async def ListRights(self, request: Any, context: Any) -> rights_pb2.Rights:
        return rights_pb2.Rights(rights=[rights_pb2.RIGHT_APPLICATION_ALL])


def _ids() -> identifiers_pb2.EndDeviceIdentifiers:
    return identifiers_pb2.EndDeviceIdentifiers(
        device_id="dev1",
        application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP_ID),
        dev_eui=bytes.fromhex("0004A30B001C0530"),
        join_eui=bytes.fromhex("70B3D57ED0000000"),
        dev_addr=DEV_ADDR,
    )


def _uplink(f_cnt: int) -> messages_pb2.ApplicationUp:
    up = messages_pb2.ApplicationUp(end_device_ids=_ids(), correlation_ids=[f"bench:{f_cnt}"])
    msg = up.uplink_message
    msg.session_key_id, msg.f_port, msg.f_cnt = SESSION, 1, f_cnt
    plain = bytes([0x01, 0x10, 40])
    msg.frm_payload = encrypt_frm_payload(AES128Key(APP_S_KEY), DevAddr(DEV_ADDR), f_cnt, plain, uplink=True)
    msg.rx_metadata.add().gateway_ids.gateway_id = "gtw-1"
    return up


def _formatter_cost(calls: int) -> dict[str, float]:
    """Microseconds per decodeUplink call, in-process quickjs with its time and memory limits, and CayenneLPP."""
    out: dict[str, float] = {}
    formatters = PayloadFormatters(JavaScriptEngine(time_limit=0.1, memory_limit=16 * 1024 * 1024))
    for name, kind, parameter, payload in (
        ("javascript (quickjs)", messages_pb2.FORMATTER_JAVASCRIPT, DECODER, bytes([0x01, 0x10, 40])),
        ("cayennelpp", messages_pb2.FORMATTER_CAYENNELPP, "", bytes([0x01, 0x67, 0x01, 0x10, 0x02, 0x68, 0x50])),
    ):
        msg = messages_pb2.ApplicationUplink(f_port=1, frm_payload=payload)
        formatters.decode_uplink(kind, parameter, msg)  # compile and cache the script first
        started = time.perf_counter()
        for _ in range(calls):
            formatters.decode_uplink(kind, parameter, msg)
        out[name] = (time.perf_counter() - started) / calls * 1e6
    return out


async def _run(args: argparse.Namespace) -> None:
    name = f"bench{uuid.uuid4().hex[:8]}"
    peers = Peers()
    server = grpc.aio.server()
    networkserver_pb2_grpc.add_AsNsServicer_to_server(peers, server)
    joinserver_pb2_grpc.add_AsJsServicer_to_server(peers, server)
    application_services_pb2_grpc.add_ApplicationAccessServicer_to_server(peers, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    config = load(
        ApplicationServerConfig,
        {},
        grpc_address="127.0.0.1:0",
        http_address="127.0.0.1:0",
        redis_url=args.redis_url,
        redis_prefix=name,
        nats_url=args.nats_url,
        events_stream=name.upper(),
        events_subject_prefix=f"bench.{name}",
        peers_is=f"127.0.0.1:{port}",
        peers_ns=f"127.0.0.1:{port}",
        peers_js=f"127.0.0.1:{port}",
        cluster_keys=(CLUSTER_KEY,),
        as_mqtt_address="",
        as_keks=(("bench-device", bytes(range(16))),),
        as_device_kek_label="bench-device",
        as_instance_id=name,
        shutdown_grace_seconds=0.5,
    )
    component = await build(config)
    await component.start()
    auth = (("authorization", f"Bearer {TOKEN}"),)
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{component.grpc_port}") as channel:
            link = applicationserver_pb2.ApplicationLink()
            link.default_formatters.up_formatter = messages_pb2.FORMATTER_JAVASCRIPT
            link.default_formatters.up_formatter_parameter = DECODER
            await applicationserver_pb2_grpc.AsStub(channel).SetLink(
                applicationserver_pb2.SetApplicationLinkRequest(
                    application_ids=identifiers_pb2.ApplicationIdentifiers(application_id=APP_ID), link=link
                ),
                metadata=auth,
            )
            await asyncio.wait_for(peers.linked.wait(), 10)
            stream = applicationserver_pb2_grpc.AppAsStub(channel).Subscribe(
                identifiers_pb2.ApplicationIdentifiers(application_id=APP_ID), metadata=auth
            )
            await asyncio.sleep(0.5)  # the subscription is in place before the first message
            join = messages_pb2.ApplicationUp(end_device_ids=_ids())
            join.join_accept.session_key_id = SESSION
            peers.outbox.put_nowait(join)
            await asyncio.wait_for(stream.read(), 10)

            ups = [_uplink(f_cnt) for f_cnt in range(1, args.count + 1)]

            async def produce() -> None:
                interval = 1.0 / args.rate if args.rate > 0 else 0.0
                start = time.perf_counter()
                for i, up in enumerate(ups):
                    if interval:
                        delay = start + i * interval - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                    sent[up.uplink_message.f_cnt] = time.perf_counter()
                    peers.outbox.put_nowait(up)
                    if not interval and i % 200 == 199:
                        await asyncio.sleep(0)

            producer = asyncio.create_task(produce())
            started = time.perf_counter()
            while len(received) < args.count:
                up = await asyncio.wait_for(stream.read(), 30)
                if up.WhichOneof("up") == "uplink_message":
                    received[up.uplink_message.f_cnt] = time.perf_counter()
            elapsed = time.perf_counter() - started
            stream.cancel()
            await producer
    finally:
        await component.stop()
        await server.stop(0)
        await _clean(args, name, config)
    latencies = sorted((received[f] - sent[f]) * 1000 for f in received)
    _report(args, elapsed, latencies, peers.acks, _formatter_cost(args.formatter_calls))


async def _clean(args: argparse.Namespace, name: str, config: ApplicationServerConfig) -> None:
    redis: Any = lsredis.connect(args.redis_url)
    keys = [k async for k in redis.scan_iter(match=f"{name}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    import nats

    nc = await nats.connect(args.nats_url)
    with contextlib.suppress(Exception):
        await nc.jetstream().delete_stream(config.events_stream)
    await nc.close()


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def _report(
    args: argparse.Namespace, elapsed: float, latencies: list[float], acks: int, formatter: dict[str, float]
) -> None:
    rows = [
        ("uplinks through the AS", f"{len(latencies)}"),
        ("offered rate", "as fast as possible" if args.rate <= 0 else f"{args.rate:.0f}/s"),
        ("messages/s (link to subscriber)", f"{len(latencies) / elapsed:,.0f}"),
        (
            "latency p50 / p90 / p99 / max (ms)",
            " / ".join(f"{_percentile(latencies, q):.1f}" for q in (0.5, 0.9, 0.99)) + f" / {latencies[-1]:.1f}",
        ),
        ("latency mean (ms)", f"{statistics.fmean(latencies):.1f}"),
        ("link acknowledgements", f"{acks}"),
    ]
    rows += [(f"formatter {name} (µs/call)", f"{cost:.1f}") for name, cost in formatter.items()]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"| {'-' * width} | ----- |")
    for label, value in rows:
        print(f"| {label.ljust(width)} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000, help="uplinks to send")
    parser.add_argument("--rate", type=float, default=0.0, help="offered uplinks/s (0: as fast as possible)")
    parser.add_argument("--formatter-calls", type=int, default=20000, help="calls per formatter in the cost test")
    parser.add_argument("--redis-url", default=os.environ.get("LORASTACK_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--nats-url", default=os.environ.get("LORASTACK_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, when it is installed")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
