"""Join- and rejoin-request handling (NsJs.HandleJoin): MIC, DevNonce or RJcount, JoinNonce, session
keys, join-accept.

LoRaWAN 1.0.4 section 6.2 and LoRaWAN 1.1 section 6.2. The nonce checks, the JoinNonce increment
and the stored session keys are one atomic registry update.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from joinserver import errors
from joinserver.config import JoinPrefix
from joinserver.crypto import JoinContext, SessionKeySet, build_join_accept, cflist_from_proto, derive_session_keys
from joinserver.keyvault import KeyVault
from joinserver.nonces import consume_nonces, consume_rejoin_count
from joinserver.observability import JOIN_ACCEPT, JOIN_REJECT, JoinMetrics, error_details
from joinserver.rejoin import find_rejoining_device, parse_rejoin_request, verify_rejoin_mic
from joinserver.request import AcceptSettings, covers, decode_request, eui_name, lorawan_1_1_of, parse_accept_settings
from joinserver.store import Change, DeviceRegistry, StoredSession
from lorastack import events
from lorastack.errors import LorastackError
from lorastack.lorawan.crypto import JOIN_REQ_TYPE_JOIN, join_request_mic, mic_equal
from lorastack.lorawan.errors import EncodeError
from lorastack.lorawan.join import JoinRequestPayload, RejoinRequest02Payload, RejoinRequest1Payload
from lorastack.lorawan.keys import AES128Key
from lorastack.lorawan.mhdr import MType
from lorastack.lorawan.phy_payload import PHYPayload
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, join_pb2, keys_pb2

__all__ = ["JoinHandler", "ParsedJoin", "covers", "parse_join_request"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedJoin:
    """A join-request and the NS's choices for the join-accept."""

    join_eui: bytes
    dev_eui: bytes
    dev_nonce: int
    signed: bytes
    mic: bytes
    lorawan_1_1: bool
    settings: AcceptSettings


def parse_join_request(req: join_pb2.JoinRequest, phy: PHYPayload) -> ParsedJoin:
    payload = phy.payload
    if not isinstance(payload, JoinRequestPayload):
        raise errors.payload_type(mtype=phy.mhdr.mtype.name.lower())
    lorawan_1_1 = lorawan_1_1_of(req)
    settings = parse_accept_settings(req, lorawan_1_1=lorawan_1_1)
    if payload.dev_eui.value == bytes(8):
        raise errors.invalid_field(field="dev_eui", reason="must not be zero")
    return ParsedJoin(
        join_eui=payload.join_eui.value,
        dev_eui=payload.dev_eui.value,
        dev_nonce=int(payload.dev_nonce),
        signed=req.raw_payload[:-4],
        mic=phy.mic,
        lorawan_1_1=lorawan_1_1,
        settings=settings,
    )


def _eui_only(phy: PHYPayload) -> list[identifiers_pb2.EndDeviceIdentifiers]:
    """The identifiers a join- or rejoin-request names (types 0 and 2 carry no JoinEUI)."""
    payload = phy.payload
    if isinstance(payload, JoinRequestPayload | RejoinRequest1Payload):
        return [identifiers_pb2.EndDeviceIdentifiers(join_eui=payload.join_eui.value, dev_eui=payload.dev_eui.value)]
    if isinstance(payload, RejoinRequest02Payload):
        return [identifiers_pb2.EndDeviceIdentifiers(dev_eui=payload.dev_eui.value)]
    return []


@dataclass(frozen=True, slots=True)
class _Accept:
    """What one join-accept answers: the request's nonce (DevNonce or RJcount) and its type."""

    lorawan_1_1: bool
    join_req_type: int
    nonce: int
    settings: AcceptSettings
    consume: Callable[[end_device_pb2.EndDevice], end_device_pb2.EndDevice]


class JoinHandler:
    """Answers join- and rejoin-requests for the devices in ``devices``."""

    def __init__(
        self,
        devices: DeviceRegistry,
        vault: KeyVault,
        *,
        prefixes: tuple[JoinPrefix, ...],
        dev_nonce_history: int,
        metrics: JoinMetrics,
        bus: events.EventBus | None = None,
        new_session_key_id: Callable[[], bytes] = lambda: os.urandom(16),
    ) -> None:
        self._devices = devices
        self._vault = vault
        self._prefixes = prefixes
        self._history = dev_nonce_history
        self._metrics = metrics
        self._bus = bus
        self._new_session_key_id = new_session_key_id

    async def handle(self, req: join_pb2.JoinRequest) -> join_pb2.JoinResponse:
        # Who a rejection is about: the EUIs once the frame decodes, the registered device once found.
        subject: list[identifiers_pb2.EndDeviceIdentifiers] = []
        try:
            response, device = await self._handle(req, subject)
        except LorastackError as err:
            self._metrics.rejected.labels(err.definition.name).inc()
            log.info("join rejected", reason=err.definition.name, correlation_id=err.correlation_id)
            if subject and self._bus is not None:
                await self._bus.publish(
                    JOIN_REJECT, identifiers=subject, data=error_details(err), correlation_ids=list(req.correlation_ids)
                )
            raise
        self._metrics.accepted.inc()
        log.info("join accepted", device_id=device.ids.device_id, join_nonce=device.last_join_nonce)
        if self._bus is not None:
            await self._bus.publish(JOIN_ACCEPT, identifiers=[device.ids], correlation_ids=list(req.correlation_ids))
        return response

    async def _handle(
        self, req: join_pb2.JoinRequest, subject: list[identifiers_pb2.EndDeviceIdentifiers]
    ) -> tuple[join_pb2.JoinResponse, end_device_pb2.EndDevice]:
        phy = decode_request(req)
        subject[:] = _eui_only(phy)
        if phy.mhdr.mtype == MType.REJOIN_REQUEST:
            return await self._rejoin(req, phy, subject)
        return await self._join(req, phy, subject)

    async def _join(
        self, req: join_pb2.JoinRequest, phy: PHYPayload, subject: list[identifiers_pb2.EndDeviceIdentifiers]
    ) -> tuple[join_pb2.JoinResponse, end_device_pb2.EndDevice]:
        parsed = parse_join_request(req, phy)
        if not covers(self._prefixes, parsed.join_eui):
            raise errors.unknown_join_eui(join_eui=parsed.join_eui.hex().upper())
        device = await self._devices.get_by_eui(parsed.join_eui, parsed.dev_eui)
        if device is None:
            raise errors.device_not_found(device=eui_name(parsed.join_eui, parsed.dev_eui))
        subject[:] = [device.ids]
        app_key, nwk_key = self._root_keys(device, parsed.lorawan_1_1)
        mic_key = nwk_key if parsed.lorawan_1_1 else app_key
        if not mic_equal(join_request_mic(AES128Key(mic_key), parsed.signed), parsed.mic):
            raise errors.mic_mismatch()

        def consume(current: end_device_pb2.EndDevice) -> end_device_pb2.EndDevice:
            return consume_nonces(current, parsed.dev_nonce, lorawan_1_1=parsed.lorawan_1_1, history=self._history)

        accept = _Accept(parsed.lorawan_1_1, JOIN_REQ_TYPE_JOIN, parsed.dev_nonce, parsed.settings, consume)
        return await self._accept(req, device, app_key, nwk_key, accept)

    async def _rejoin(
        self, req: join_pb2.JoinRequest, phy: PHYPayload, subject: list[identifiers_pb2.EndDeviceIdentifiers]
    ) -> tuple[join_pb2.JoinResponse, end_device_pb2.EndDevice]:
        parsed = parse_rejoin_request(req, phy)
        device = await find_rejoining_device(self._devices, self._prefixes, parsed)
        subject[:] = [device.ids]
        app_key, nwk_key = self._root_keys(device, True)
        verify_rejoin_mic(parsed, nwk_key)

        def consume(current: end_device_pb2.EndDevice) -> end_device_pb2.EndDevice:
            return consume_rejoin_count(current, parsed.rejoin_type, parsed.rj_count)

        accept = _Accept(True, parsed.rejoin_type, parsed.rj_count, parsed.settings, consume)
        return await self._accept(req, device, app_key, nwk_key, accept)

    async def _accept(
        self,
        req: join_pb2.JoinRequest,
        device: end_device_pb2.EndDevice,
        app_key: bytes,
        nwk_key: bytes,
        accept: _Accept,
    ) -> tuple[join_pb2.JoinResponse, end_device_pb2.EndDevice]:
        """Take the nonces, derive the keys, build the accept and store it all in one update."""
        ns_label = device.network_server_kek_label
        for label in (ns_label, device.application_server_kek_label):
            if not self._vault.has_label(label):
                raise errors.unknown_kek_label(label=label)
        session_key_id = self._new_session_key_id()
        ids = device.ids
        outcome: list[tuple[bytes, SessionKeySet, end_device_pb2.EndDevice]] = []

        def apply(current: end_device_pb2.EndDevice | None) -> Change:
            outcome.clear()
            if current is None or (current.ids.join_eui, current.ids.dev_eui) != (ids.join_eui, ids.dev_eui):
                raise errors.device_not_found(device=f"{ids.application_ids.application_id}/{ids.device_id}")
            updated = accept.consume(current)
            ctx = self._context(current, accept, app_key, nwk_key, updated.last_join_nonce)
            keys = derive_session_keys(ctx)
            outcome.append((build_join_accept(ctx), keys, updated))
            record = self._session_record(current, accept.settings.dev_addr, session_key_id, keys)
            return Change(updated, StoredSession(ids.dev_eui, session_key_id, record))

        await self._devices.update(ids.application_ids.application_id, ids.device_id, apply)
        raw, keys, updated = outcome[0]
        session_keys = keys_pb2.SessionKeys(
            session_key_id=session_key_id,
            f_nwk_s_int_key=self._vault.wrap_for(ns_label, keys.f_nwk_s_int_key),
            s_nwk_s_int_key=self._vault.wrap_for(ns_label, keys.s_nwk_s_int_key),
            nwk_s_enc_key=self._vault.wrap_for(ns_label, keys.nwk_s_enc_key),
        )
        response = join_pb2.JoinResponse(
            raw_payload=raw, session_keys=session_keys, correlation_ids=list(req.correlation_ids)
        )
        return response, updated

    def _root_keys(self, device: end_device_pb2.EndDevice, lorawan_1_1: bool) -> tuple[bytes, bytes]:
        name = f"{device.ids.application_ids.application_id}/{device.ids.device_id}"
        app_key = self._vault.open(device.root_keys.app_key)
        nwk_key = self._vault.open(device.root_keys.nwk_key)
        if lorawan_1_1 and not nwk_key:
            raise errors.no_nwk_key(device=name)
        if not app_key:
            raise errors.no_app_key(device=name)
        return app_key, nwk_key or b""

    def _context(
        self, device: end_device_pb2.EndDevice, accept: _Accept, app_key: bytes, nwk_key: bytes, join_nonce: int
    ) -> JoinContext:
        settings = accept.settings
        try:
            cflist = cflist_from_proto(settings.cflist_request) if settings.cflist_request is not None else None
        except EncodeError as err:
            raise errors.invalid_field(field="cf_list", reason=str(err)) from None
        return JoinContext(
            lorawan_1_1=accept.lorawan_1_1,
            app_key=app_key,
            nwk_key=nwk_key,
            join_eui=device.ids.join_eui,
            dev_eui=device.ids.dev_eui,
            dev_nonce=accept.nonce,
            join_nonce=join_nonce,
            net_id=settings.net_id,
            dev_addr=settings.dev_addr,
            dl_settings=settings.dl_settings,
            rx_delay=settings.rx_delay,
            cflist=cflist,
            join_req_type=accept.join_req_type,
        )

    def _session_record(
        self, device: end_device_pb2.EndDevice, dev_addr: bytes, session_key_id: bytes, keys: SessionKeySet
    ) -> end_device_pb2.EndDevice:
        record = end_device_pb2.EndDevice(
            network_server_kek_label=device.network_server_kek_label,
            application_server_kek_label=device.application_server_kek_label,
        )
        record.ids.CopyFrom(device.ids)
        record.session.dev_addr = dev_addr
        stored = record.session.keys
        stored.session_key_id = session_key_id
        stored.f_nwk_s_int_key.CopyFrom(self._vault.seal(keys.f_nwk_s_int_key))
        stored.s_nwk_s_int_key.CopyFrom(self._vault.seal(keys.s_nwk_s_int_key))
        stored.nwk_s_enc_key.CopyFrom(self._vault.seal(keys.nwk_s_enc_key))
        stored.app_s_key.CopyFrom(self._vault.seal(keys.app_s_key))
        return record
