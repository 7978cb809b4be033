"""Rejoin-requests of LoRaWAN 1.1 devices (section 6.2.4) at the Network Server: finding the device, the
MIC of types 0 and 2 under the session's SNwkSIntKey and their RJcount0, then the Join Server and the
rejoin-accept in the join-accept windows, as for a join (the Join Server checks type 1 with JSIntKey)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from lorastack.events import EventBus
from lorastack.lorawan import (
    DevAddrPrefix,
    NetID,
    PHYPayload,
    RejoinRequest02Payload,
    RejoinRequest1Payload,
    mic_equal,
    rejoin_request_mic,
)
from networkserver.macstate import band_of
from networkserver.observability import EVT_UP_REJOIN_DROP, EVT_UP_REJOIN_RECEIVE, NsMetrics, device_ref
from networkserver.registry import generate_dev_addr
from networkserver.store import DeviceRegistry, StoredDevice
from networkserver.uplink.join import JoinHandler, add_cf_list, join_mac_state
from networkserver.uplink.match import key_of
from networkserver.uplink.process import promote_pending
from ttn.lorawan.v3 import end_device_pb2, error_pb2, join_pb2, lorawan_pb2, messages_pb2

__all__ = [
    "RejoinChange",
    "RejoinFacts",
    "RejoinHandler",
    "rejoin_facts",
    "rejoin_join_request",
    "rejoin_mac_state",
    "rj_count_0_fresh",
    "verify_session_mic",
]

log = structlog.get_logger(logger_name="networkserver.rejoin")


@dataclass(frozen=True, slots=True)
class RejoinFacts:
    """A decoded rejoin-request: ``join_eui`` only in type 1, ``net_id`` only in types 0 and 2."""

    rejoin_type: int
    join_eui: bytes
    dev_eui: bytes
    net_id: bytes
    rj_count: int
    signed: bytes
    mic: bytes


def rejoin_facts(raw: bytes, phy: PHYPayload) -> RejoinFacts:
    payload = phy.payload
    if isinstance(payload, RejoinRequest1Payload):
        return RejoinFacts(1, payload.join_eui.value, payload.dev_eui.value, b"", payload.rj_count1, raw[:-4], phy.mic)
    assert isinstance(payload, RejoinRequest02Payload)
    return RejoinFacts(
        payload.rejoin_type, b"", payload.dev_eui.value, payload.net_id.value, payload.rj_count0, raw[:-4], phy.mic
    )


def verify_session_mic(device: end_device_pb2.EndDevice, facts: RejoinFacts) -> Literal["session", "pending"] | None:
    """Which session's SNwkSIntKey signed a type 0 or 2 rejoin-request: the current one, or the pending
    one when the device already took the last rejoin-accept and has sent nothing else since."""
    candidates: list[tuple[Literal["session", "pending"], bool, end_device_pb2.Session]] = [
        ("session", device.HasField("session"), device.session),
        ("pending", device.HasField("pending_session"), device.pending_session),
    ]
    for name, present, session in candidates:
        if not present:
            continue
        key = key_of(session.keys.s_nwk_s_int_key)
        if key is not None and mic_equal(rejoin_request_mic(key, facts.signed), facts.mic):
            return name
    return None


def rj_count_0_fresh(device: end_device_pb2.EndDevice, rj_count: int) -> bool:
    """RJcount0 must not repeat under one SNwkSIntKey (1.1 section 6.2.4.1). The NS keeps in
    ``last_rj_count_0`` the lowest count it takes next: 0 at the start of each session."""
    return rj_count >= device.last_rj_count_0


def rejoin_mac_state(device: end_device_pb2.EndDevice, rejoin_type: int) -> end_device_pb2.MACState:
    """Types 0 and 1 reset the radio parameters as a join does; type 2 keeps them (1.1 section 6.2.4)."""
    if rejoin_type != 2 or not device.HasField("mac_state"):
        return join_mac_state(device)
    state = end_device_pb2.MACState()
    state.CopyFrom(device.mac_state)
    for name in ("pending_application_downlink", "queued_join_accept", "pending_join_request"):
        state.ClearField(name)
    del state.queued_responses[:]
    del state.pending_requests[:]
    # An empty history marks the session as fresh, so its first frame counter is taken as it comes.
    del state.recent_uplinks[:]
    state.rx_windows_available = False
    return state


def rejoin_join_request(
    uplink: messages_pb2.UplinkMessage,
    facts: RejoinFacts,
    state: end_device_pb2.MACState,
    dev_addr: bytes,
    net_id: NetID,
) -> join_pb2.JoinRequest:
    """NsJs.HandleJoin's request for a rejoin: the frame as received and the rejoin-accept's settings."""
    current = state.current_parameters
    request = join_pb2.JoinRequest(
        raw_payload=uplink.raw_payload,
        dev_addr=dev_addr,
        selected_mac_version=lorawan_pb2.MAC_V1_1,
        net_id=net_id.value,
        downlink_settings=lorawan_pb2.DLSettings(
            rx1_dr_offset=current.rx1_data_rate_offset, rx2_dr=current.rx2_data_rate_index, opt_neg=True
        ),
        rx_delay=current.rx1_delay,
        correlation_ids=uplink.correlation_ids,
    )
    request.payload.m_hdr.m_type = lorawan_pb2.REJOIN_REQUEST
    request.payload.mic = facts.mic
    body = request.payload.rejoin_request_payload
    body.rejoin_type = facts.rejoin_type  # type: ignore[assignment]
    body.net_id, body.join_eui, body.dev_eui = facts.net_id, facts.join_eui, facts.dev_eui
    body.rejoin_cnt = facts.rj_count
    return request


@dataclass(frozen=True, slots=True)
class RejoinChange:
    """What an accepted rejoin changes on the stored device besides the pending session."""

    rejoin_type: int
    rj_count: int
    promote: bool

    def apply(self, device: end_device_pb2.EndDevice) -> None:
        if self.promote and device.HasField("pending_session"):
            promote_pending(device)
        if self.rejoin_type != 1:
            device.last_rj_count_0 = self.rj_count + 1


class RejoinHandler:
    def __init__(
        self,
        devices: DeviceRegistry,
        joins: JoinHandler,
        bus: EventBus | None,
        metrics: NsMetrics,
        *,
        net_id: NetID,
        prefixes: Sequence[DevAddrPrefix],
    ) -> None:
        self._devices = devices
        self._joins = joins
        self._bus = bus
        self._metrics = metrics
        self._net_id = net_id
        self._prefixes = tuple(prefixes)

    async def _drop(
        self, uplink: messages_pb2.UplinkMessage, facts: RejoinFacts, reason: str, stored: StoredDevice | None
    ) -> bool:
        self._metrics.uplinks.labels(outcome=reason).inc()
        self._metrics.rejoins.labels(type=str(facts.rejoin_type), outcome=reason).inc()
        log.info("rejoin-request dropped", reason=reason, rejoin_type=facts.rejoin_type)
        if self._bus is not None and stored is not None:
            await self._bus.publish(
                EVT_UP_REJOIN_DROP,
                identifiers=[device_ref(stored)],
                data=error_pb2.ErrorDetails(namespace="pkg/networkserver", name=reason, message_format=reason),
                correlation_ids=list(uplink.correlation_ids),
            )
        return False

    async def _find(self, facts: RejoinFacts) -> tuple[StoredDevice | None, bool]:
        """The device and whether its pending session signed the request; types 0 and 2 name only the
        DevEUI, so the device is the one whose session key verifies the MIC."""
        if facts.rejoin_type == 1:
            return await self._devices.by_euis(facts.join_eui, facts.dev_eui), False
        for stored in await self._devices.by_dev_eui(facts.dev_eui):
            which = verify_session_mic(stored.device, facts)
            if which is not None:
                return stored, which == "pending"
        return None, False

    async def handle(self, uplink: messages_pb2.UplinkMessage, phy: PHYPayload) -> bool:
        facts = rejoin_facts(uplink.raw_payload, phy)
        if facts.rejoin_type != 1 and facts.net_id != self._net_id.value:
            return await self._drop(uplink, facts, "net_id_mismatch", None)
        stored, promote = await self._find(facts)
        if stored is None:
            reason = "unknown_join_device" if facts.rejoin_type == 1 else "unknown_device_or_mic_mismatch"
            return await self._drop(uplink, facts, reason, None)
        if self._bus is not None:
            ids = [device_ref(stored)]
            await self._bus.publish(EVT_UP_REJOIN_RECEIVE, identifiers=ids, correlation_ids=uplink.correlation_ids)
        device = end_device_pb2.EndDevice()
        device.CopyFrom(stored.device)
        if device.lorawan_version != lorawan_pb2.MAC_V1_1:
            return await self._drop(uplink, facts, "unsupported_lorawan_version", stored)
        if promote:
            promote_pending(device)
        if facts.rejoin_type != 1 and not rj_count_0_fresh(device, facts.rj_count):
            return await self._drop(uplink, facts, "rj_count_0_replay", stored)
        state = rejoin_mac_state(device, facts.rejoin_type)
        dev_addr = generate_dev_addr(self._prefixes).value
        request = rejoin_join_request(uplink, facts, state, dev_addr, self._net_id)
        if facts.rejoin_type != 2:
            add_cf_list(request, state, band_of(device))
        change = RejoinChange(facts.rejoin_type, facts.rj_count, promote)
        return await self._joins.complete(stored, uplink, request, state, rejoin=change)
