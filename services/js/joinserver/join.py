"""Join-request handling (NsJs.HandleJoin): MIC, DevNonce, JoinNonce, session keys, join-accept.

LoRaWAN 1.0.4 section 6.2 and LoRaWAN 1.1 section 6.2. The DevNonce check, the JoinNonce increment
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
from joinserver.nonces import consume_nonces
from joinserver.observability import JOIN_ACCEPT, JOIN_REJECT, JoinMetrics, error_details
from joinserver.store import Change, DeviceRegistry, StoredSession
from lorastack import events
from lorastack.errors import LorastackError
from lorastack.lorawan.crypto import join_request_mic, mic_equal
from lorastack.lorawan.errors import DecodeError, EncodeError
from lorastack.lorawan.join import DLSettings, JoinRequestPayload
from lorastack.lorawan.keys import AES128Key
from lorastack.lorawan.phy_payload import decode_phy_payload
from ttn.lorawan.v3 import end_device_pb2, join_pb2, keys_pb2, lorawan_pb2

__all__ = ["JoinHandler", "ParsedJoin", "covers", "parse_join_request"]

log = structlog.get_logger(__name__)

_VERSIONS_1_0 = frozenset(
    {
        lorawan_pb2.MAC_V1_0,
        lorawan_pb2.MAC_V1_0_1,
        lorawan_pb2.MAC_V1_0_2,
        lorawan_pb2.MAC_V1_0_3,
        lorawan_pb2.MAC_V1_0_4,
    }
)


@dataclass(frozen=True, slots=True)
class ParsedJoin:
    """A join-request and the NS's choices for the join-accept."""

    join_eui: bytes
    dev_eui: bytes
    dev_nonce: int
    signed: bytes
    mic: bytes
    lorawan_1_1: bool
    net_id: bytes
    dev_addr: bytes
    dl_settings: DLSettings
    rx_delay: int
    cflist_request: lorawan_pb2.CFList | None


def covers(prefixes: tuple[JoinPrefix, ...], join_eui: bytes) -> bool:
    """Whether one of ``prefixes`` covers ``join_eui``."""
    value = int.from_bytes(join_eui, "big")
    for prefix in prefixes:
        shift = 64 - prefix.length
        if value >> shift == int.from_bytes(prefix.join_eui, "big") >> shift:
            return True
    return False


def parse_join_request(req: join_pb2.JoinRequest) -> ParsedJoin:
    if not req.raw_payload:
        raise errors.payload_missing()
    try:
        phy = decode_phy_payload(req.raw_payload)
    except DecodeError as err:
        raise errors.payload_decode(reason=str(err)) from None
    if not isinstance(phy.payload, JoinRequestPayload):
        raise errors.payload_type(mtype=phy.mhdr.mtype.name.lower())
    if req.selected_mac_version == lorawan_pb2.MAC_V1_1:
        lorawan_1_1 = True
    elif req.selected_mac_version in _VERSIONS_1_0:
        lorawan_1_1 = False
    else:
        raise errors.unsupported_lorawan_version(version=lorawan_pb2.MACVersion.Name(req.selected_mac_version))
    if len(req.net_id) != 3:
        raise errors.invalid_field(field="net_id", reason="want 3 bytes")
    if len(req.dev_addr) != 4:
        raise errors.invalid_field(field="dev_addr", reason="want 4 bytes")
    settings = req.downlink_settings
    if settings.rx1_dr_offset > 7 or settings.rx2_dr > 15:
        raise errors.invalid_field(field="downlink_settings", reason="out of range")
    if not 0 <= req.rx_delay <= 0xFF:
        raise errors.invalid_field(field="rx_delay", reason="out of range")
    payload = phy.payload
    if payload.dev_eui.value == bytes(8):
        raise errors.invalid_field(field="dev_eui", reason="must not be zero")
    return ParsedJoin(
        join_eui=payload.join_eui.value,
        dev_eui=payload.dev_eui.value,
        dev_nonce=int(payload.dev_nonce),
        signed=req.raw_payload[:-4],
        mic=phy.mic,
        lorawan_1_1=lorawan_1_1,
        net_id=req.net_id,
        dev_addr=req.dev_addr,
        # OptNeg tells the device that the network speaks 1.1, which decides MIC and key derivation.
        dl_settings=DLSettings(settings.rx1_dr_offset, settings.rx2_dr, lorawan_1_1),
        rx_delay=int(req.rx_delay),
        cflist_request=req.cf_list if req.HasField("cf_list") else None,
    )


class JoinHandler:
    """Answers join-requests for the devices in ``devices``."""

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
        found: list[end_device_pb2.EndDevice] = []
        try:
            response, device = await self._handle(req, found)
        except LorastackError as err:
            self._metrics.rejected.labels(err.definition.name).inc()
            log.info("join rejected", reason=err.definition.name, correlation_id=err.correlation_id)
            if found and self._bus is not None:
                await self._bus.publish(
                    JOIN_REJECT,
                    identifiers=[found[0].ids],
                    data=error_details(err),
                    correlation_ids=list(req.correlation_ids),
                )
            raise
        self._metrics.accepted.inc()
        log.info("join accepted", device_id=device.ids.device_id, join_nonce=device.last_join_nonce)
        if self._bus is not None:
            await self._bus.publish(JOIN_ACCEPT, identifiers=[device.ids], correlation_ids=list(req.correlation_ids))
        return response

    async def _handle(
        self, req: join_pb2.JoinRequest, found: list[end_device_pb2.EndDevice]
    ) -> tuple[join_pb2.JoinResponse, end_device_pb2.EndDevice]:
        parsed = parse_join_request(req)
        if not covers(self._prefixes, parsed.join_eui):
            raise errors.unknown_join_eui(join_eui=parsed.join_eui.hex().upper())
        device = await self._devices.get_by_eui(parsed.join_eui, parsed.dev_eui)
        if device is None:
            raise errors.device_not_found(device=f"{parsed.join_eui.hex().upper()}/{parsed.dev_eui.hex().upper()}")
        found.append(device)
        app_key, nwk_key = self._root_keys(device, parsed.lorawan_1_1)
        mic_key = nwk_key if parsed.lorawan_1_1 else app_key
        if not mic_equal(join_request_mic(AES128Key(mic_key), parsed.signed), parsed.mic):
            raise errors.mic_mismatch()
        ns_label = device.network_server_kek_label
        as_label = device.application_server_kek_label
        for label in (ns_label, as_label):
            if not self._vault.has_label(label):
                raise errors.unknown_kek_label(label=label)
        session_key_id = self._new_session_key_id()
        outcome: list[tuple[bytes, SessionKeySet, end_device_pb2.EndDevice]] = []

        def apply(current: end_device_pb2.EndDevice | None) -> Change:
            outcome.clear()
            if current is None or (current.ids.join_eui, current.ids.dev_eui) != (parsed.join_eui, parsed.dev_eui):
                raise errors.device_not_found(
                    device=f"{device.ids.application_ids.application_id}/{device.ids.device_id}"
                )
            updated = consume_nonces(current, parsed.dev_nonce, lorawan_1_1=parsed.lorawan_1_1, history=self._history)
            ctx = self._context(parsed, app_key, nwk_key, updated.last_join_nonce)
            keys = derive_session_keys(ctx)
            raw = build_join_accept(ctx)
            outcome.append((raw, keys, updated))
            record = self._session_record(current, parsed.dev_addr, session_key_id, keys)
            return Change(updated, StoredSession(parsed.dev_eui, session_key_id, record))

        await self._devices.update(device.ids.application_ids.application_id, device.ids.device_id, apply)
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

    def _context(self, parsed: ParsedJoin, app_key: bytes, nwk_key: bytes, join_nonce: int) -> JoinContext:
        try:
            cflist = cflist_from_proto(parsed.cflist_request) if parsed.cflist_request is not None else None
        except EncodeError as err:
            raise errors.invalid_field(field="cf_list", reason=str(err)) from None
        return JoinContext(
            lorawan_1_1=parsed.lorawan_1_1,
            app_key=app_key,
            nwk_key=nwk_key,
            join_eui=parsed.join_eui,
            dev_eui=parsed.dev_eui,
            dev_nonce=parsed.dev_nonce,
            join_nonce=join_nonce,
            net_id=parsed.net_id,
            dev_addr=parsed.dev_addr,
            dl_settings=parsed.dl_settings,
            rx_delay=parsed.rx_delay,
            cflist=cflist,
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
