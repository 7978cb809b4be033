"""Application downlinks: encode with the payload formatter, assign AFCntDown and encrypt with the AppSKey
(LoRaWAN 1.1 section 4.3.3), hand them to the Network Server's queue; failures go out as ``down/failed``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import grpc
import structlog

from applicationserver import errors
from applicationserver.formatters import FormatterError, PayloadFormatters, effective
from applicationserver.keys import KeyVault
from applicationserver.observability import ASMetrics, Events
from applicationserver.ports import EventPublisher
from applicationserver.store import DeviceStore, LinkStore, UpStream
from applicationserver.tenancy import Tenancy
from applicationserver.uplink import skips_crypto
from lorastack.errors import LorastackError
from lorastack.lorawan.crypto import encrypt_frm_payload
from lorastack.lorawan.devaddr import DevAddr
from lorastack.lorawan.keys import AES128Key
from lorastack.rpc.status import error_details
from ttn.lorawan.v3 import applicationserver_pb2, end_device_pb2, identifiers_pb2, messages_pb2, networkserver_pb2_grpc

__all__ = ["DownlinkService"]

log = structlog.get_logger(logger_name="applicationserver.downlink")

EndDevice = end_device_pb2.EndDevice
ns_refused = errors.invalid_downlink


class DownlinkService:
    def __init__(
        self,
        *,
        devices: DeviceStore,
        links: LinkStore,
        formatters: PayloadFormatters,
        vault: KeyVault,
        upstream: UpStream,
        network_server: Callable[[], grpc.aio.Channel | None],
        metadata: Callable[[], Sequence[tuple[str, str]]],
        publisher: EventPublisher,
        metrics: ASMetrics,
        tenancy: Tenancy,
    ) -> None:
        self._tenancy = tenancy
        self._devices = devices
        self._links = links
        self._formatters = formatters
        self._vault = vault
        self._upstream = upstream
        self._ns = network_server
        self._metadata = metadata
        self._events = publisher
        self._metrics = metrics

    def _stub(self) -> Any:  # the generated stubs type calls as synchronous
        channel = self._ns()
        if channel is None:
            raise errors.no_network_server()
        return networkserver_pb2_grpc.AsNsStub(channel)

    def _call_metadata(self, key: str) -> tuple[tuple[str, str], ...]:
        return (*self._metadata(), *self._tenancy.metadata(key))

    async def _publish_each(
        self, key: str, definition: Any, ids: identifiers_pb2.EndDeviceIdentifiers, items: Sequence[Any]
    ) -> None:
        tenant = self._tenancy.split(key)[1]
        for item in items:
            await self._events.publish(
                definition, identifiers=[ids], data=item, correlation_ids=item.correlation_ids, tenant_id=tenant
            )

    async def enqueue(
        self,
        key: str,
        ids: identifiers_pb2.EndDeviceIdentifiers,
        downlinks: Sequence[messages_pb2.ApplicationDownlink],
        *,
        replace: bool,
    ) -> None:
        """Queue downlinks of the device ``ids`` names in the application with key ``key``."""
        dev_id = ids.device_id
        device = await self._devices.get(key, dev_id)
        if device is None:
            raise errors.device_not_found(device_id=dev_id)
        full_ids = identifiers_pb2.EndDeviceIdentifiers()
        full_ids.CopyFrom(device.ids)
        items = [self._received(d) for d in downlinks]
        await self._publish_each(key, Events.down_data_receive, full_ids, items)
        try:
            prepared = await self._prepare(key, device, items)
            request = messages_pb2.DownlinkQueueRequest(end_device_ids=full_ids, downlinks=prepared)
            stub = self._stub()
            call = stub.DownlinkQueueReplace if replace else stub.DownlinkQueuePush
            try:
                await call(request, metadata=self._call_metadata(key), timeout=10)
            except grpc.aio.AioRpcError as err:
                raise ns_refused(reason=err.details() or err.code().name, cause=err) from None
        except LorastackError as err:
            self._metrics.downlinks.labels("failed").inc()
            await self._report_failed(key, full_ids, items, err)
            raise
        self._metrics.downlinks.labels("forwarded").inc(len(prepared))
        await self._links.record_down(key)
        await self._publish_each(key, Events.down_data_forward, full_ids, items)

    @staticmethod
    def _received(downlink: messages_pb2.ApplicationDownlink) -> messages_pb2.ApplicationDownlink:
        out = messages_pb2.ApplicationDownlink()
        out.CopyFrom(downlink)
        out.correlation_ids.append(f"as:downlink:{uuid.uuid4().hex}")
        return out

    async def _prepare(
        self, key: str, device: EndDevice, items: list[messages_pb2.ApplicationDownlink]
    ) -> list[messages_pb2.ApplicationDownlink]:
        dev_id = device.ids.device_id
        link = await self._links.get(key)
        if skips_crypto(device, link):
            # The integration encrypted the payload and chose the counter itself (seed 004).
            for item in items:
                if not item.session_key_id or (item.HasField("decoded_payload") and not item.frm_payload):
                    raise errors.payload_crypto_skipped(device_id=dev_id)
            return items
        kind, parameter = effective(
            device.formatters if device.HasField("formatters") else None,
            link.default_formatters if link is not None and link.HasField("default_formatters") else None,
            uplink=False,
        )
        for item in items:
            if not item.frm_payload and item.HasField("decoded_payload"):
                try:
                    self._formatters.encode_downlink(kind, parameter, item)
                except FormatterError as err:
                    raise errors.formatter_failed(reason=str(err)) from None
            if not 1 <= item.f_port <= 255:
                raise errors.invalid_downlink(reason="f_port must be 1..255")
        return await self._encrypt(key, dev_id, items)

    async def _encrypt(
        self, key: str, dev_id: str, items: list[messages_pb2.ApplicationDownlink], *, floor: int = 0
    ) -> list[messages_pb2.ApplicationDownlink]:
        # The counters are taken in the same transaction that records them, so two pushes never share one.
        taken: list[messages_pb2.ApplicationDownlink] = []

        def take(current: EndDevice | None) -> EndDevice | None:
            taken.clear()
            if current is None or not current.HasField("session"):
                raise errors.no_app_s_key(device_id=dev_id)
            session = current.session
            if not self._vault.can_open(session.keys.app_s_key):
                raise errors.no_app_s_key(device_id=dev_id)
            app_s_key = AES128Key(self._vault.open(session.keys.app_s_key))
            dev_addr = DevAddr(bytes(session.dev_addr or current.ids.dev_addr))
            f_cnt = max(session.last_a_f_cnt_down, floor)
            for item in items:
                f_cnt += 1
                out = messages_pb2.ApplicationDownlink()
                out.CopyFrom(item)
                out.ClearField("decoded_payload")
                out.session_key_id = session.keys.session_key_id
                out.f_cnt = f_cnt
                out.frm_payload = encrypt_frm_payload(app_s_key, dev_addr, f_cnt, item.frm_payload, uplink=False)
                taken.append(out)
            session.last_a_f_cnt_down = f_cnt
            return current

        await self._devices.update(key, dev_id, take)
        return list(taken)

    async def requeue_invalidated(
        self, key: str, up: messages_pb2.ApplicationUp, link: applicationserver_pb2.ApplicationLink | None
    ) -> None:
        """The NS dropped its queue (new session, counters moved on): encrypt the same payloads again with
        the current session and counters, and put them back."""
        invalidated = up.downlink_queue_invalidated
        ids = up.end_device_ids
        dev_id = ids.device_id
        device = await self._devices.get(key, dev_id)
        if device is None or skips_crypto(device, link) or not invalidated.downlinks:
            return
        plain: list[messages_pb2.ApplicationDownlink] = []
        for item in invalidated.downlinks:
            opened = self._open(device, item)
            if opened is not None:
                plain.append(opened)
        if not plain:
            return
        floor = invalidated.last_f_cnt_down if invalidated.session_key_id == device.session.keys.session_key_id else 0
        try:
            prepared = await self._encrypt(key, dev_id, plain, floor=floor)
            request = messages_pb2.DownlinkQueueRequest(end_device_ids=device.ids, downlinks=prepared)
            await self._stub().DownlinkQueueReplace(request, metadata=self._call_metadata(key), timeout=10)
        except (LorastackError, grpc.aio.AioRpcError) as err:
            log.info("cannot requeue invalidated downlinks", device_id=dev_id, error=str(err))
            failure = err if isinstance(err, LorastackError) else ns_refused(reason=err.details() or "", cause=err)
            await self._report_failed(key, device.ids, plain, failure)

    def _open(
        self, device: EndDevice, item: messages_pb2.ApplicationDownlink
    ) -> messages_pb2.ApplicationDownlink | None:
        """The plaintext of a downlink encrypted under one of the device's sessions, without its counter."""
        for session in (device.session, device.pending_session):
            if session.keys.session_key_id == item.session_key_id and self._vault.can_open(session.keys.app_s_key):
                app_s_key = AES128Key(self._vault.open(session.keys.app_s_key))
                dev_addr = DevAddr(bytes(session.dev_addr or device.ids.dev_addr))
                out = messages_pb2.ApplicationDownlink()
                out.CopyFrom(item)
                out.frm_payload = encrypt_frm_payload(app_s_key, dev_addr, item.f_cnt, item.frm_payload, uplink=False)
                out.ClearField("session_key_id")
                out.f_cnt = 0
                return out
        return None

    async def _report_failed(
        self,
        key: str,
        ids: identifiers_pb2.EndDeviceIdentifiers,
        items: Sequence[messages_pb2.ApplicationDownlink],
        err: LorastackError,
    ) -> None:
        ups = []
        for item in items:
            up = messages_pb2.ApplicationUp(end_device_ids=ids, correlation_ids=item.correlation_ids)
            up.received_at.GetCurrentTime()
            up.downlink_failed.downlink.CopyFrom(item)
            up.downlink_failed.error.CopyFrom(error_details(err))
            ups.append(up)
        try:
            await self._upstream.append(key, ups)
        except Exception:
            log.exception("cannot report failed downlinks")

    async def list(self, key: str, ids: identifiers_pb2.EndDeviceIdentifiers) -> messages_pb2.ApplicationDownlinks:
        dev_id = ids.device_id
        device = await self._devices.get(key, dev_id)
        if device is None:
            raise errors.device_not_found(device_id=dev_id)
        try:
            answer: messages_pb2.ApplicationDownlinks = await self._stub().DownlinkQueueList(
                device.ids, metadata=self._call_metadata(key), timeout=10
            )
        except grpc.aio.AioRpcError as err:
            raise ns_refused(reason=err.details() or err.code().name, cause=err) from None
        link = await self._links.get(key)
        if skips_crypto(device, link):
            return answer
        for item in answer.downlinks:
            session = next(
                (
                    s
                    for s in (device.session, device.pending_session)
                    if s.keys.session_key_id == item.session_key_id and self._vault.can_open(s.keys.app_s_key)
                ),
                None,
            )
            if session is not None:
                app_s_key = AES128Key(self._vault.open(session.keys.app_s_key))
                dev_addr = DevAddr(bytes(session.dev_addr or device.ids.dev_addr))
                item.frm_payload = encrypt_frm_payload(app_s_key, dev_addr, item.f_cnt, item.frm_payload, uplink=False)
        return answer
