"""The machine's floor for the cluster benchmark: what one uplink's building blocks (a gRPC unary hop, a
stream message, a pipelined Redis round trip, AES, a NATS publish) cost in CPU on this host, this run.
Run as a script it is the gRPC echo server the measurement talks to."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "lib")]

import psutil  # noqa: E402
import uvloop  # noqa: E402

__all__ = ["PER_UPLINK", "cpu_of", "measure_floor"]

FLOOR_SERVICE = "bench.Floor"
# What one uplink needs at least, counted from the design: GsNs.HandleUplink (one unary hop), the AS link
# message and its acknowledgement (two stream messages), Redis round trips (NS dedup and device update,
# AS device read and uplink stream append), one CMAC and one AES payload block, four events
# (gs.up.receive, ns.up.data.receive, ns.up.data.process, as.up.data.forward).
PER_UPLINK = {"grpc_unary_hop": 1, "grpc_stream_message": 2, "redis_pipelined_round_trip": 4, "aes": 1, "event": 4}


def floor_server() -> None:
    """The child process of the floor: a unary echo and a server stream, on raw bytes."""
    import grpc

    async def serve() -> None:
        async def echo(request: bytes, context: Any) -> bytes:
            return request

        async def stream(request: bytes, context: Any) -> Any:
            payload = b"x" * 300
            for _ in range(int(request)):
                yield payload

        handler = grpc.method_handlers_generic_handler(
            FLOOR_SERVICE,
            {
                "Unary": grpc.unary_unary_rpc_method_handler(echo),
                "Stream": grpc.unary_stream_rpc_method_handler(stream),
            },
        )
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(port, flush=True)
        await server.wait_for_termination()

    uvloop.run(serve())


def cpu_of(*procs: psutil.Process) -> float:
    return sum(p.cpu_times().user + p.cpu_times().system for p in procs)


async def _floor_grpc(me: psutil.Process) -> dict[str, float]:
    import grpc

    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--floor-server", stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    port = int((await child.stdout.readline()).decode())
    server = psutil.Process(child.pid)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            unary = channel.unary_unary(f"/{FLOOR_SERVICE}/Unary")
            stream = channel.unary_stream(f"/{FLOOR_SERVICE}/Stream")
            await unary(b"warm")
            calls, in_flight = 4000, 64
            limit = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with limit:
                    await unary(b"x" * 300)

            start = cpu_of(me, server)
            await asyncio.gather(*(one() for _ in range(calls)))
            unary_us = (cpu_of(me, server) - start) / calls * 1e6
            messages = 20_000
            start = cpu_of(me, server)
            async for _ in stream(str(messages).encode()):
                pass
            stream_us = (cpu_of(me, server) - start) / messages * 1e6
    finally:
        child.kill()
        await child.wait()
    return {"grpc_unary_hop": unary_us, "grpc_stream_message": stream_us}


async def _floor_redis(me: psutil.Process) -> float:
    from redis.asyncio import Redis

    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    server = psutil.Process(int((await redis.info("server"))["process_id"]))
    key = f"bench-floor-{uuid.uuid4().hex}"
    rounds = 3000
    start = cpu_of(me, server)
    for _ in range(rounds):
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.set(key, b"x" * 200)
            pipe.get(f"{key}:2")
            pipe.pexpire(key, 10_000)
            await pipe.execute()
    used = (cpu_of(me, server) - start) / rounds * 1e6
    await redis.delete(key)
    await redis.aclose()
    return used


def _floor_aes() -> float:
    from lorastack.lorawan import AES128Key, DevAddr, crypto

    key, addr, frame = AES128Key(bytes(16)), DevAddr(bytes(4)), bytes(range(20))
    rounds = 20_000
    start = time.process_time()
    for f_cnt in range(rounds):
        crypto.data_uplink_mic_1_0(key, addr, f_cnt, frame)
        crypto.encrypt_frm_payload(key, addr, f_cnt, frame[:8], uplink=True)
    return (time.process_time() - start) / rounds * 1e6


async def _floor_event(me: psutil.Process) -> float:
    import nats

    client = await nats.connect("nats://127.0.0.1:4222")
    servers = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "nats-server"]
    subject, body, count = f"bench.floor.{uuid.uuid4().hex}", b"x" * 300, 20_000
    start = cpu_of(me, *servers)
    for index in range(count):
        await client.publish(subject, body)
        if index % 1000 == 999:
            await client.flush()
    await client.flush()
    used = (cpu_of(me, *servers) - start) / count * 1e6
    await client.close()
    return used


async def measure_floor() -> dict[str, float]:
    """CPU microseconds of each building block (both processes where there are two), this run, this machine."""
    me = psutil.Process()
    out = await _floor_grpc(me)
    out["redis_pipelined_round_trip"] = await _floor_redis(me)
    out["aes"] = _floor_aes()
    out["event"] = await _floor_event(me)
    out["per_uplink"] = sum(out[name] * count for name, count in PER_UPLINK.items())
    return {k: round(v, 1) for k, v in out.items()}


if __name__ == "__main__":
    floor_server()
