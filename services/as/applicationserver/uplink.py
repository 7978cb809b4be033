"""What the AS does with each ApplicationUp from the Network Server before integrations see it:
join-accepts store the session (AppSKey from the JS), uplinks are decrypted (LoRaWAN 1.1 section 4.3.3)
and decoded, downlink notifications are decrypted for the application."""

from __future__ import annotations

import time
from collections.abc import Sequence

import structlog
from google.protobuf.message import Message

from applicationserver import errors
from applicationserver.formatters import FormatterError, PayloadFormatters, effective
from applicationserver.keys import JoinServerKeys, KeyVault
from applicationserver.observability import ASMetrics, Events
from applicationserver.ports import EventPublisher
from applicationserver.prefetch import PrefetchedDevices
from applicationserver.store import DeviceStore
from applicationserver.tenancy import Tenancy
from lorastack.errors import LorastackError
from lorastack.events import EventDefinition
from lorastack.lorawan.crypto import encrypt_frm_payload
from lorastack.lorawan.devaddr import DevAddr
from lorastack.lorawan.keys import AES128Key
from lorastack.rpc.status import error_details
from ttn.lorawan.v3 import applicationserver_pb2, end_device_pb2, error_pb2, keys_pb2, messages_pb2

__all__ = ["UplinkProcessor", "skips_crypto"]

log = structlog.get_logger(logger_name="applicationserver.uplink")

EndDevice = end_device_pb2.EndDevice
_DOWNLINK_KINDS = ("downlink_queued", "downlink_sent", "downlink_ack", "downlink_nack")


def skips_crypto(device: EndDevice | None, link: applicationserver_pb2.ApplicationLink | None) -> bool:
    """The device's override wins over the application's setting (seed 004)."""
    if device is not None and device.HasField("skip_payload_crypto_override"):
        return device.skip_payload_crypto_override.value
    return bool(link is not None and link.HasField("skip_payload_crypto") and link.skip_payload_crypto.value)


def _session_for(device: EndDevice, session_key_id: bytes) -> tuple[end_device_pb2.Session | None, bool]:
    """The session with this key id, and whether it is the pending one."""
    if device.HasField("session") and device.session.keys.session_key_id == session_key_id:
        return device.session, False
    if device.HasField("pending_session") and device.pending_session.keys.session_key_id == session_key_id:
        return device.pending_session, True
    return None, False


class UplinkProcessor:
    def __init__(
        self,
        *,
        devices: DeviceStore,
        formatters: PayloadFormatters,
        vault: KeyVault,
        join_server: JoinServerKeys,
        publisher: EventPublisher,
        metrics: ASMetrics,
        tenancy: Tenancy,
    ) -> None:
        self._tenancy = tenancy
        self._devices = devices
        self._formatters = formatters
        self._vault = vault
        self._js = join_server
        self._events = publisher
        self._metrics = metrics

    async def _publish(
        self, key: str, definition: EventDefinition, up: messages_pb2.ApplicationUp, data: Message | None = None
    ) -> None:
        await self._events.publish(
            definition,
            identifiers=[up.end_device_ids],
            data=data,
            correlation_ids=up.correlation_ids,
            tenant_id=self._tenancy.split(key)[1],
        )

    async def process(
        self, key: str, up: messages_pb2.ApplicationUp, link: applicationserver_pb2.ApplicationLink | None
    ) -> messages_pb2.ApplicationUp | None:
        """The message to deliver to integrations, or None when it is dropped; ``key`` is the application's."""
        return await self._process(key, up, link, self._devices)

    async def process_batch(
        self,
        key: str,
        ups: Sequence[messages_pb2.ApplicationUp],
        link: applicationserver_pb2.ApplicationLink | None,
    ) -> list[messages_pb2.ApplicationUp]:
        """What :meth:`process` makes of each message, in order, the dropped ones left out; the devices the
        data uplinks name are read in one round trip first."""
        wanted = {up.end_device_ids.device_id for up in ups if up.WhichOneof("up") == "uplink_message"}
        devices: DeviceStore = self._devices
        if wanted:
            devices = PrefetchedDevices(self._devices, key, await self._devices.get_many(key, sorted(wanted)))
        out = []
        for up in ups:
            processed = await self._process(key, up, link, devices)
            if processed is not None:
                out.append(processed)
        return out

    async def _process(
        self,
        key: str,
        up: messages_pb2.ApplicationUp,
        link: applicationserver_pb2.ApplicationLink | None,
        devices: DeviceStore,
    ) -> messages_pb2.ApplicationUp | None:
        kind = up.WhichOneof("up") or "none"
        self._metrics.uplinks_received.labels(kind).inc()
        if not up.HasField("received_at"):
            up.received_at.GetCurrentTime()
        try:
            if kind == "join_accept":
                await self._join_accept(key, up, devices)
            elif kind == "uplink_message":
                await self._uplink(key, up, link, devices)
            elif kind in _DOWNLINK_KINDS or kind == "downlink_failed":
                await self._downlink_notification(key, up, kind, link, devices)
        except LorastackError as err:
            self._metrics.uplinks_dropped.labels(err.definition.name).inc()
            log.warning("drop application up", kind=kind, error=str(err), device_id=up.end_device_ids.device_id)
            await self._publish(key, Events.up_data_drop, up, err_details(err))
            return None
        return up

    # Join-accept ---------------------------------------------------------------------------------------

    async def _join_accept(self, key: str, up: messages_pb2.ApplicationUp, devices: DeviceStore) -> None:
        ids = up.end_device_ids
        accept = up.join_accept
        await self._publish(key, Events.up_join_receive, up)
        envelope = keys_pb2.KeyEnvelope()
        if accept.HasField("app_s_key"):
            envelope.CopyFrom(accept.app_s_key)
        else:
            envelope.CopyFrom(await self._js.app_s_key(key, accept.session_key_id, ids.dev_eui, ids.join_eui))
        # The AS opens whatever it can, which overrides skipping payload crypto (seed 004), and keeps
        # it wrapped with its own KEK at rest.
        opened = self._vault.can_open(envelope)
        session = end_device_pb2.Session(dev_addr=ids.dev_addr)
        session.keys.session_key_id = accept.session_key_id
        session.keys.app_s_key.CopyFrom(self._vault.for_storage(envelope))
        session.started_at.GetCurrentTime()

        def change(device: EndDevice | None) -> EndDevice:
            out = device if device is not None else EndDevice(ids=ids)
            if not out.ids.dev_eui:
                out.ids.CopyFrom(ids)
            out.ids.dev_addr = ids.dev_addr
            target = out.pending_session if accept.pending_session else out.session
            target.CopyFrom(session)
            return out

        await devices.update(key, ids.device_id, change)
        # Integrations never see the AppSKey unless it stays wrapped for them (skipped payload crypto).
        if opened:
            accept.ClearField("app_s_key")
        else:
            accept.app_s_key.CopyFrom(envelope)
        await self._publish(key, Events.up_join_forward, up)

    # Data uplink -----------------------------------------------------------------------------------

    async def _device_and_session(
        self, key: str, up: messages_pb2.ApplicationUp, session_key_id: bytes, devices: DeviceStore
    ) -> tuple[EndDevice | None, end_device_pb2.Session | None]:
        ids = up.end_device_ids
        dev_id = ids.device_id
        device = await devices.get(key, dev_id)
        if device is None:
            return None, None
        session, pending = _session_for(device, session_key_id)
        if session is not None and pending:

            def promote(current: EndDevice | None) -> EndDevice | None:
                if current is None or not current.HasField("pending_session"):
                    return current
                if current.pending_session.keys.session_key_id == session_key_id:
                    current.session.CopyFrom(current.pending_session)
                    current.ClearField("pending_session")
                return current

            device = await devices.update(key, dev_id, promote) or device
        elif session is None and session_key_id and ids.dev_eui:
            # A session the AS missed (it was away during the join): ask the JS, as after a join-accept.
            envelope = await self._js.app_s_key(key, session_key_id, ids.dev_eui, ids.join_eui)
            fresh = end_device_pb2.Session(dev_addr=ids.dev_addr)
            fresh.keys.session_key_id = session_key_id
            fresh.keys.app_s_key.CopyFrom(self._vault.for_storage(envelope))

            def adopt(current: EndDevice | None) -> EndDevice | None:
                if current is not None:
                    current.session.CopyFrom(fresh)
                return current

            device = await devices.update(key, dev_id, adopt) or device
        session, _ = _session_for(device, session_key_id)
        return device, session

    async def _uplink(
        self,
        key: str,
        up: messages_pb2.ApplicationUp,
        link: applicationserver_pb2.ApplicationLink | None,
        devices: DeviceStore,
    ) -> None:
        ids = up.end_device_ids
        msg = up.uplink_message
        given_key = keys_pb2.KeyEnvelope()
        if msg.HasField("app_s_key"):
            # Kept off the event: an AppSKey the NS sent along goes nowhere but into this function.
            given_key.CopyFrom(msg.app_s_key)
            msg.ClearField("app_s_key")
        await self._publish(key, Events.up_data_receive, up, up)
        device, session = await self._device_and_session(key, up, msg.session_key_id, devices)
        if device is not None and device.HasField("version_ids") and not msg.HasField("version_ids"):
            msg.version_ids.CopyFrom(device.version_ids)
        if session is not None and msg.last_a_f_cnt_down > session.last_a_f_cnt_down:
            await self._follow_counter(key, up, msg.last_a_f_cnt_down, devices)
        envelope = given_key if given_key.ByteSize() else (session.keys.app_s_key if session else None)
        if skips_crypto(device, link) or envelope is None or not self._vault.can_open(envelope):
            if envelope is not None and not self._vault.can_open(envelope):
                msg.app_s_key.CopyFrom(envelope)  # wrapped with a KEK only the integration holds
            else:
                msg.ClearField("app_s_key")
            if envelope is None and not skips_crypto(device, link):
                raise errors.no_app_s_key(device_id=ids.device_id)
            await self._publish(key, Events.up_data_forward, up, up)
            return
        if msg.frm_payload and msg.f_port != 0:
            dev_addr = ids.dev_addr or (session.dev_addr if session else b"")
            app_s_key = AES128Key(self._vault.open(envelope))
            msg.frm_payload = encrypt_frm_payload(
                app_s_key, DevAddr(bytes(dev_addr)), msg.f_cnt, msg.frm_payload, uplink=True
            )
        msg.ClearField("app_s_key")
        kind, parameter = effective(
            device.formatters if device is not None and device.HasField("formatters") else None,
            link.default_formatters if link is not None and link.HasField("default_formatters") else None,
            uplink=True,
        )
        await self._decode(key, up, kind, parameter)
        await self._publish(key, Events.up_data_forward, up, up)

    async def _follow_counter(
        self, key: str, up: messages_pb2.ApplicationUp, last_a_f_cnt_down: int, devices: DeviceStore
    ) -> None:
        """The NS reports the last AFCntDown it used; new downlinks must count on from there."""
        ids = up.end_device_ids
        key_id = up.uplink_message.session_key_id

        def change(current: EndDevice | None) -> EndDevice | None:
            if current is not None and current.session.keys.session_key_id == key_id:
                current.session.last_a_f_cnt_down = max(current.session.last_a_f_cnt_down, last_a_f_cnt_down)
            return current

        await devices.update(key, ids.device_id, change)

    async def _decode(self, key: str, up: messages_pb2.ApplicationUp, kind: int, parameter: str) -> None:
        started = time.perf_counter()
        try:
            self._formatters.decode_uplink(kind, parameter, up.uplink_message)
        except FormatterError as err:
            up.uplink_message.ClearField("decoded_payload")
            log.info("uplink decode failed", device_id=up.end_device_ids.device_id, error=str(err))
            await self._publish(key, Events.up_data_decode_fail, up, err_details(err))
        finally:
            self._metrics.formatter_seconds.labels(messages_pb2.PayloadFormatter.Name(kind)).observe(  # type: ignore[arg-type]
                time.perf_counter() - started
            )

    # Downlink notifications -----------------------------------------------------------------------------

    async def _downlink_notification(
        self,
        key: str,
        up: messages_pb2.ApplicationUp,
        kind: str,
        link: applicationserver_pb2.ApplicationLink | None,
        devices: DeviceStore,
    ) -> None:
        downlink = up.downlink_failed.downlink if kind == "downlink_failed" else getattr(up, kind)
        if not downlink.frm_payload:
            return
        ids = up.end_device_ids
        device = await devices.get(key, ids.device_id)
        if device is None or skips_crypto(device, link):
            return
        session, _ = _session_for(device, downlink.session_key_id)
        if session is None or not self._vault.can_open(session.keys.app_s_key):
            return
        app_s_key = AES128Key(self._vault.open(session.keys.app_s_key))
        dev_addr = DevAddr(bytes(session.dev_addr or ids.dev_addr))
        downlink.frm_payload = encrypt_frm_payload(
            app_s_key, dev_addr, downlink.f_cnt, downlink.frm_payload, uplink=False
        )
        kind_, parameter = effective(
            device.formatters if device.HasField("formatters") else None,
            link.default_formatters if link is not None and link.HasField("default_formatters") else None,
            uplink=False,
        )
        try:
            self._formatters.decode_downlink(kind_, parameter, downlink)
        except FormatterError:
            downlink.ClearField("decoded_payload")


def err_details(err: BaseException) -> error_pb2.ErrorDetails:
    """Event data for a failure: our own errors with their details, formatter failures by message."""
    if isinstance(err, LorastackError):
        out: error_pb2.ErrorDetails = error_details(err)
        return out
    return error_pb2.ErrorDetails(
        namespace="pkg/applicationserver/io/formatters", name="formatter", message_format=str(err)[:500]
    )
