"""Who a gateway is: its identifiers and registration, looked up at the IS by EUI or id and cached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import structlog
from google.protobuf import field_mask_pb2

from ttn.lorawan.v3 import gateway_pb2, gateway_services_pb2_grpc, identifiers_pb2, metadata_pb2

__all__ = ["GatewayInfo", "GatewayResolver"]

log = structlog.get_logger(logger_name="gatewayserver.gateways")

_GATEWAY_FIELDS = ("frequency_plan_id", "frequency_plan_ids", "antennas", "enforce_duty_cycle", "lbs_lns_secret")
# The IS is asked again for an EUI it did not know only after this long, so a flood stays cheap.
_NEGATIVE_TTL = 10.0


@dataclass(frozen=True, slots=True)
class GatewayInfo:
    gateway_id: str
    eui: bytes
    frequency_plan_id: str
    antenna_gain: float = 0.0
    location: metadata_pb2.Location | None = None
    enforce_duty_cycle: bool = True
    registered: bool = True
    lns_secret: bytes = b""

    @property
    def ids(self) -> identifiers_pb2.GatewayIdentifiers:
        return identifiers_pb2.GatewayIdentifiers(gateway_id=self.gateway_id, eui=self.eui)


class GatewayResolver:
    """EUI -> gateway, through GatewayRegistry.GetIdentifiersForEUI and Get, with one IS call per EUI at a time."""

    def __init__(
        self,
        channel: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], tuple[tuple[str, str], ...]],
        *,
        default_plan: str,
        ttl: float = 60.0,
        allow_unknown: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._channel = channel
        self._metadata = metadata
        self._default_plan = default_plan
        self._ttl = ttl
        self._allow_unknown = allow_unknown
        self._clock = clock
        self._cache: dict[bytes, tuple[float, GatewayInfo | None]] = {}
        self._pending: dict[bytes, asyncio.Future[GatewayInfo | None]] = {}

    async def by_eui(self, eui: bytes) -> GatewayInfo | None:
        """The gateway with this EUI, or None when the IS does not know it (and unknown ones are refused)."""
        cached = self._cache.get(eui)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._pending.get(eui)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[GatewayInfo | None] = asyncio.get_running_loop().create_future()
        self._pending[eui] = future
        try:
            info = await self._lookup(eui)
            future.set_result(info)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # marks it retrieved when nobody else waits
            raise
        finally:
            del self._pending[eui]
        return info

    async def _lookup(self, eui: bytes) -> GatewayInfo | None:
        ids = await self._identifiers(eui)
        if ids is None:
            info = self._unknown(eui)
            self._cache[eui] = (self._clock() + _NEGATIVE_TTL, info)
            return info
        info = await self.by_ids(ids)
        self._cache[eui] = (self._clock() + self._ttl, info)
        return info

    def _unknown(self, eui: bytes) -> GatewayInfo | None:
        if not self._allow_unknown:
            return None
        return GatewayInfo(f"eui-{eui.hex()}", eui, self._default_plan, registered=False)

    async def _identifiers(self, eui: bytes) -> identifiers_pb2.GatewayIdentifiers | None:
        channel = self._channel()
        if channel is None:
            return None
        stub = gateway_services_pb2_grpc.GatewayRegistryStub(channel)
        request = gateway_pb2.GetGatewayIdentifiersForEUIRequest(eui=eui)
        try:
            ids: identifiers_pb2.GatewayIdentifiers = await stub.GetIdentifiersForEUI(
                request, metadata=self._metadata(), timeout=5
            )
        except grpc.aio.AioRpcError as err:
            if err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                log.debug("gateway look-up failed", eui=eui.hex(), code=err.code().name)
            return None
        return ids

    async def by_ids(self, ids: identifiers_pb2.GatewayIdentifiers) -> GatewayInfo:
        """The registration of a known gateway; defaults where the IS does not answer."""
        eui = ids.eui
        channel = self._channel()
        gateway: gateway_pb2.Gateway | None = None
        if channel is not None:
            stub = gateway_services_pb2_grpc.GatewayRegistryStub(channel)
            request = gateway_pb2.GetGatewayRequest(
                gateway_ids=ids, field_mask=field_mask_pb2.FieldMask(paths=_GATEWAY_FIELDS)
            )
            try:
                gateway = await stub.Get(request, metadata=self._metadata(), timeout=5)
            except grpc.aio.AioRpcError as err:
                log.debug("gateway registration unavailable", gateway_id=ids.gateway_id, code=err.code().name)
        if gateway is None:
            return GatewayInfo(ids.gateway_id, eui, self._default_plan)
        plan = gateway.frequency_plan_id or (gateway.frequency_plan_ids or [self._default_plan])[0]
        antenna = gateway.antennas[0] if gateway.antennas else None
        return GatewayInfo(
            gateway_id=ids.gateway_id,
            eui=eui or gateway.ids.eui,
            frequency_plan_id=plan,
            antenna_gain=antenna.gain if antenna is not None else 0.0,
            location=antenna.location if antenna is not None and antenna.HasField("location") else None,
            enforce_duty_cycle=gateway.enforce_duty_cycle,
            lns_secret=gateway.lbs_lns_secret.value,
        )
