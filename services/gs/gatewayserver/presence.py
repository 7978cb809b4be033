"""Which replica holds which gateway, so a ScheduleDownlink reaching any replica finds the gateway.

Each replica claims its gateways in the shared store (refreshed while connected); a replica asked for
a gateway it does not hold forwards the request once to the holder over NsGs with the cluster key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
import structlog

from gatewayserver import errors
from gatewayserver.connections import Connection
from gatewayserver.store import GatewayPresence
from ttn.lorawan.v3 import gatewayserver_pb2, gatewayserver_pb2_grpc, messages_pb2

__all__ = ["FORWARDED_KEY", "PresenceTracker", "ReplicaForwarder"]

log = structlog.get_logger(logger_name="gatewayserver.presence")

# Marks a ScheduleDownlink already forwarded by a replica, so it is never forwarded again.
FORWARDED_KEY = "x-lorastack-gs-forwarded"


class PresenceTracker:
    def __init__(
        self, store: GatewayPresence, own_address: Callable[[], str | None], *, ttl: int = 90, refresh: float = 30.0
    ) -> None:
        self._store = store
        self._own = own_address
        self._ttl = ttl
        self._refresh = refresh
        self._held: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def changed(self, connection: Connection, connected: bool) -> None:
        gateway_id = connection.gateway.gateway_id
        if connected:
            self._held.add(gateway_id)
            self._spawn(self._claim(gateway_id))
        else:
            self._held.discard(gateway_id)
            self._spawn(self._release(gateway_id))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _claim(self, gateway_id: str) -> None:
        address = self._own()
        if address is not None:
            try:
                await self._store.claim(gateway_id, address, self._ttl)
            except Exception as err:
                log.warning("gateway presence claim failed", gateway_id=gateway_id, error=repr(err))

    async def _release(self, gateway_id: str) -> None:
        address = self._own()
        if address is not None:
            try:
                await self._store.release(gateway_id, address)
            except Exception as err:
                log.warning("gateway presence release failed", gateway_id=gateway_id, error=repr(err))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._refresh)
            for gateway_id in list(self._held):
                await self._claim(gateway_id)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class ReplicaForwarder:
    """Hands a ScheduleDownlink to the replica that holds the gateway."""

    def __init__(
        self,
        store: GatewayPresence,
        own_address: Callable[[], str | None],
        metadata: Callable[[], tuple[tuple[str, str], ...]],
    ) -> None:
        self._store = store
        self._own = own_address
        self._metadata = metadata
        self._channels: dict[str, grpc.aio.Channel] = {}

    async def schedule(
        self, gateway_id: str, message: messages_pb2.DownlinkMessage
    ) -> gatewayserver_pb2.ScheduleDownlinkResponse | None:
        address = await self._store.where(gateway_id)
        if address is None or address == self._own():
            return None
        channel = self._channels.get(address)
        if channel is None:
            channel = self._channels[address] = grpc.aio.insecure_channel(address)
        stub = gatewayserver_pb2_grpc.NsGsStub(channel)
        try:
            response: gatewayserver_pb2.ScheduleDownlinkResponse = await stub.ScheduleDownlink(
                message, metadata=(*self._metadata(), (FORWARDED_KEY, "1")), timeout=5
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND):
                return None
            raise errors.remote_schedule_failed(detail=err.details() or err.code().name) from None
        return response

    async def close(self) -> None:
        channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            await channel.close(None)
