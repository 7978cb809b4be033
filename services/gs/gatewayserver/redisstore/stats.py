"""Gateway connection stats in Redis: one hash per gateway plus a capped list of round-trip times.

Written in one pipeline per flush so any replica can answer Gs.GetGatewayConnectionStats.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime

from google.protobuf import duration_pb2
from redis.asyncio import Redis

from gatewayserver.store import StatsUpdate
from lorastack.storage.redis import Keys
from ttn.lorawan.v3 import gateway_pb2

__all__ = ["RedisConnectionStats"]

_MAX_RTTS = 20


def _iso(at: datetime) -> str:
    return at.isoformat()


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


class RedisConnectionStats:
    def __init__(self, redis: Redis, keys: Keys, *, ttl_seconds: int = 86400) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds

    async def apply(self, updates: Sequence[StatsUpdate]) -> None:
        if not updates:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for u in updates:
                key = self._keys.of("stats", u.gateway_id)
                rtt_key = self._keys.of("rtt", u.gateway_id)
                if u.connected_at is not None:
                    # A new connection starts from zero: stats describe the current connection only.
                    pipe.delete(key, rtt_key)
                    pipe.hset(key, mapping={"connected_at": _iso(u.connected_at), "protocol": u.protocol})
                    if u.remote_ip:
                        pipe.hset(key, "remote_ip", u.remote_ip)
                if u.disconnected_at is not None:
                    pipe.hset(key, "disconnected_at", _iso(u.disconnected_at))
                for name, count, last in (
                    ("uplink", u.uplinks, u.last_uplink_at),
                    ("downlink", u.downlinks, u.last_downlink_at),
                    ("tx_ack", u.tx_acks, u.last_tx_ack_at),
                ):
                    if count:
                        pipe.hincrby(key, f"{name}_count", count)
                    if last is not None:
                        pipe.hset(key, f"last_{name}_at", _iso(last))
                if u.last_status_at is not None:
                    pipe.hset(key, "last_status_at", _iso(u.last_status_at))
                if u.last_status is not None:
                    pipe.hset(key, "last_status", u.last_status.SerializeToString())
                if u.sub_bands is not None:
                    pipe.hset(key, "sub_bands", json.dumps(u.sub_bands))
                if u.round_trip_times:
                    pipe.lpush(rtt_key, *(str(r) for r in u.round_trip_times))
                    pipe.ltrim(rtt_key, 0, _MAX_RTTS - 1)
                    pipe.expire(rtt_key, self._ttl)
                pipe.expire(key, self._ttl)
            await pipe.execute()

    async def get(self, gateway_id: str) -> gateway_pb2.GatewayConnectionStats | None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._keys.of("stats", gateway_id))
            pipe.lrange(self._keys.of("rtt", gateway_id), 0, -1)
            raw, rtts = await pipe.execute()
        if not raw:
            return None
        fields = {k.decode(): v for k, v in raw.items()}
        stats = gateway_pb2.GatewayConnectionStats(protocol=fields.get("protocol", b"").decode())
        for name in (
            "connected_at",
            "disconnected_at",
            "last_uplink_received_at",
            "last_downlink_received_at",
            "last_status_received_at",
            "last_tx_acknowledgment_received_at",
        ):
            stored = _STORED_NAMES[name]
            if stored in fields:
                getattr(stats, name).FromDatetime(datetime.fromisoformat(fields[stored].decode()).astimezone(UTC))
        stats.uplink_count = int(fields.get("uplink_count", 0))
        stats.downlink_count = int(fields.get("downlink_count", 0))
        stats.tx_acknowledgment_count = int(fields.get("tx_ack_count", 0))
        if "last_status" in fields:
            stats.last_status.ParseFromString(fields["last_status"])
        for low, high, limit, used in json.loads(fields.get("sub_bands", b"[]")):
            stats.sub_bands.add(
                min_frequency=low, max_frequency=high, downlink_utilization_limit=limit, downlink_utilization=used
            )
        if "remote_ip" in fields:
            stats.gateway_remote_address.ip = fields["remote_ip"].decode()
        if rtts:
            values = [float(r) for r in rtts]
            rtt = stats.round_trip_times
            rtt.min.CopyFrom(_duration(min(values)))
            rtt.max.CopyFrom(_duration(max(values)))
            rtt.median.CopyFrom(_duration(statistics.median(values)))
            rtt.count = len(values)
        return stats


_STORED_NAMES = {
    "connected_at": "connected_at",
    "disconnected_at": "disconnected_at",
    "last_uplink_received_at": "last_uplink_at",
    "last_downlink_received_at": "last_downlink_at",
    "last_status_received_at": "last_status_at",
    "last_tx_acknowledgment_received_at": "last_tx_ack_at",
}
