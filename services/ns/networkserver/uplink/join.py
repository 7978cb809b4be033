"""Join-requests: forward to the Join Server (NsJs.HandleJoin), keep the new session and MAC state
as pending until the device's first uplink in it, tell the AS, and make the device's downlink task
due, so that any replica sends the join-accept in JoinAccept1 then JoinAccept2 (LoRaWAN 1.1
sections 6.2.2 to 6.2.6; ``downlink.flows``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import grpc
import structlog

from lorastack import events
from lorastack.events import EventBus
from lorastack.lorawan import Band, CFListType, DevAddrPrefix, JoinRequestPayload, NetID, PHYPayload
from networkserver.macstate import initial_mac_state, plan_and_band
from networkserver.observability import (
    EVT_UP_JOIN_ACCEPT_FORWARD,
    EVT_UP_JOIN_FORWARD,
    EVT_UP_JOIN_RECEIVE,
    EVT_UP_REJOIN_FORWARD,
    NsMetrics,
    device_ref,
)
from networkserver.registry import generate_dev_addr, update_device
from networkserver.store import DeviceRegistry, StoredDevice
from networkserver.uplink.data import DownlinkStarter, drop
from networkserver.uplink.process import recent_uplink, timestamp
from ttn.lorawan.v3 import end_device_pb2, join_pb2, joinserver_pb2_grpc, keys_pb2, lorawan_pb2, messages_pb2

__all__ = ["JoinHandler", "Rejoin", "add_cf_list", "join_mac_state"]

log = structlog.get_logger(logger_name="networkserver.join")


class Rejoin(Protocol):
    """What a rejoin adds to a join: its type, and the changes to the stored device it makes."""

    @property
    def rejoin_type(self) -> int: ...

    def apply(self, device: end_device_pb2.EndDevice) -> None: ...


def _join_request(
    device: end_device_pb2.EndDevice,
    uplink: messages_pb2.UplinkMessage,
    phy: PHYPayload,
    state: end_device_pb2.MACState,
    dev_addr: bytes,
    net_id: NetID,
) -> join_pb2.JoinRequest:
    payload = phy.payload
    assert isinstance(payload, JoinRequestPayload)
    desired = state.desired_parameters
    request = join_pb2.JoinRequest(
        raw_payload=uplink.raw_payload,
        dev_addr=dev_addr,
        selected_mac_version=device.lorawan_version,
        net_id=net_id.value,
        downlink_settings=lorawan_pb2.DLSettings(
            rx1_dr_offset=desired.rx1_data_rate_offset,
            rx2_dr=desired.rx2_data_rate_index,
            opt_neg=device.lorawan_version == lorawan_pb2.MAC_V1_1,
        ),
        rx_delay=desired.rx1_delay,
        correlation_ids=uplink.correlation_ids,
    )
    request.payload.m_hdr.m_type = lorawan_pb2.JOIN_REQUEST
    request.payload.mic = phy.mic
    jr = request.payload.join_request_payload
    jr.join_eui, jr.dev_eui, jr.dev_nonce = payload.join_eui.value, payload.dev_eui.value, payload.dev_nonce.value
    return request


def join_mac_state(device: end_device_pb2.EndDevice) -> end_device_pb2.MACState:
    """The MAC state a join starts: the boot state with the RX settings the join-accept carries."""
    state = initial_mac_state(device)
    current, desired = state.current_parameters, state.desired_parameters
    current.rx1_data_rate_offset = desired.rx1_data_rate_offset
    current.rx2_data_rate_index = desired.rx2_data_rate_index
    current.rx2_frequency = desired.rx2_frequency
    current.rx1_delay = desired.rx1_delay
    return state


def add_cf_list(request: join_pb2.JoinRequest, state: end_device_pb2.MACState, band: Band) -> None:
    """Offer up to five of the plan's extra channels in the join-accept's CFList (bands with a
    frequency CFList, RP002 section 2.2.4), and count them as known from the start."""
    if band.cf_list_type != CFListType.FREQUENCIES:
        return
    current = state.current_parameters
    known = {ch.uplink_frequency for ch in current.channels}
    extra = [ch for ch in state.desired_parameters.channels if ch.uplink_frequency not in known][:5]
    if not extra:
        return
    request.cf_list.type = lorawan_pb2.FREQUENCIES
    request.cf_list.freq.extend(int(ch.uplink_frequency) // 100 for ch in extra)
    for channel in extra:
        current.channels.add().CopyFrom(channel)


def _channel_index(state: end_device_pb2.MACState, frequency: int) -> int:
    """The request's channel among the new state's; past the end when unknown (no JoinAccept1 then)."""
    channels = state.current_parameters.channels
    for index, channel in enumerate(channels):
        if channel.uplink_frequency == frequency:
            return index
    return len(channels)


class JoinHandler:
    def __init__(
        self,
        devices: DeviceRegistry,
        join_server: Callable[[], grpc.aio.Channel | None],
        cluster_metadata: Callable[[], Sequence[tuple[str, str]]],
        bus: EventBus | None,
        metrics: NsMetrics,
        *,
        net_id: NetID,
        prefixes: Sequence[DevAddrPrefix],
        downlinks: DownlinkStarter | None = None,
    ) -> None:
        self._devices = devices
        self._join_server = join_server
        self._metadata = cluster_metadata
        self._downlinks = downlinks
        self._bus = bus
        self._metrics = metrics
        self._net_id = net_id
        self._prefixes = tuple(prefixes)

    async def _publish(self, stored: StoredDevice, definition: events.EventDefinition) -> None:
        if self._bus is not None:
            ids = [device_ref(stored)]
            await self._bus.publish(definition, identifiers=ids)

    async def handle(self, uplink: messages_pb2.UplinkMessage, phy: PHYPayload) -> bool:
        payload = phy.payload
        assert isinstance(payload, JoinRequestPayload)
        stored = await self._devices.by_euis(payload.join_eui.value, payload.dev_eui.value)
        if stored is None:
            self._metrics.joins.labels(outcome="unknown_device").inc()
            await drop(self._bus, self._metrics, uplink, "unknown_join_device", [])
            return False
        await self._publish(stored, EVT_UP_JOIN_RECEIVE)
        device = stored.device
        state = join_mac_state(device)
        dev_addr = generate_dev_addr(self._prefixes).value
        request = _join_request(device, uplink, phy, state, dev_addr, self._net_id)
        add_cf_list(request, state, plan_and_band(device.frequency_plan_id)[1])
        return await self.complete(stored, uplink, request, state, rejoin=None)

    async def complete(
        self,
        stored: StoredDevice,
        uplink: messages_pb2.UplinkMessage,
        request: join_pb2.JoinRequest,
        state: end_device_pb2.MACState,
        *,
        rejoin: Rejoin | None,
    ) -> bool:
        """Forward a join- or rejoin-request, keep the answer as the pending session and MAC state,
        tell the AS and schedule the (re)join-accept; False when the Join Server refused it."""
        answer = await self._forward(stored, request, uplink, rejoin)
        if answer is None:
            return False
        dev_addr = request.dev_addr
        keys = keys_pb2.SessionKeys()
        keys.CopyFrom(answer.session_keys)
        app_s_key = keys.app_s_key
        keys.ClearField("app_s_key")
        accept = state.queued_join_accept
        accept.payload = answer.raw_payload
        accept.keys.CopyFrom(keys)
        accept.dev_addr = dev_addr
        accept.net_id = self._net_id.value
        accept.request.downlink_settings.CopyFrom(request.downlink_settings)
        accept.request.rx_delay = request.rx_delay
        if request.HasField("cf_list"):
            accept.request.cf_list.CopyFrom(request.cf_list)
        accept.correlation_ids.extend(uplink.correlation_ids)
        # The downlink task sends the accept in the windows of this request (``downlink.flows``).
        m_type = lorawan_pb2.JOIN_REQUEST if rejoin is None else lorawan_pb2.REJOIN_REQUEST
        state.recent_uplinks.append(recent_uplink(uplink, m_type, _channel_index(state, uplink.settings.frequency)))
        state.rx_windows_available = True

        async def mutate(target: end_device_pb2.EndDevice) -> list[messages_pb2.ApplicationUp]:
            if rejoin is not None:
                rejoin.apply(target)
            target.pending_session.CopyFrom(
                end_device_pb2.Session(dev_addr=dev_addr, keys=keys, started_at=timestamp(datetime.now(UTC)))
            )
            target.pending_mac_state.CopyFrom(state)
            up = messages_pb2.ApplicationUp(
                end_device_ids=target.ids, correlation_ids=uplink.correlation_ids, received_at=uplink.received_at
            )
            if rejoin is None:
                target.ids.dev_addr = dev_addr
            up.end_device_ids.dev_addr = dev_addr
            up.join_accept.session_key_id = keys.session_key_id
            up.join_accept.received_at.CopyFrom(uplink.received_at)
            # After a rejoin the device keeps its session until it uses the new one (1.1 section 6.2.4).
            up.join_accept.pending_session = rejoin is not None
            if app_s_key.key or app_s_key.encrypted_key:
                up.join_accept.app_s_key.CopyFrom(app_s_key)
            return [up]

        due = int(time.time() * 1000)
        updated = await update_device(
            self._devices, stored.application_id, stored.device_id, mutate, downlink_at_ms=due
        )
        if self._downlinks is not None:
            self._downlinks.poke()
        if rejoin is None:
            self._metrics.joins.labels(outcome="accepted").inc()
        else:
            self._metrics.rejoins.labels(type=str(rejoin.rejoin_type), outcome="accepted").inc()
        await self._publish(updated, EVT_UP_JOIN_ACCEPT_FORWARD)
        return True

    async def _forward(
        self,
        stored: StoredDevice,
        request: join_pb2.JoinRequest,
        uplink: messages_pb2.UplinkMessage,
        rejoin: Rejoin | None,
    ) -> join_pb2.JoinResponse | None:
        channel = self._join_server()
        if channel is None:
            await drop(self._bus, self._metrics, uplink, "no_join_server", [])
            return None
        await self._publish(stored, EVT_UP_JOIN_FORWARD if rejoin is None else EVT_UP_REJOIN_FORWARD)
        try:
            return await joinserver_pb2_grpc.NsJsStub(channel).HandleJoin(
                request, metadata=tuple(self._metadata()), timeout=3
            )
        except grpc.aio.AioRpcError as err:
            log.info("join refused by the join server", code=err.code().name, details=err.details())
            if rejoin is None:
                self._metrics.joins.labels(outcome="refused").inc()
            else:
                self._metrics.rejoins.labels(type=str(rejoin.rejoin_type), outcome="refused").inc()
            ids = [device_ref(stored)]
            await drop(self._bus, self._metrics, uplink, "join_refused", ids)
            return None
