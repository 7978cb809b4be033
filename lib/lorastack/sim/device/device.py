"""A simulated end device: joins or starts personalized, sends uplinks (and LoRaWAN 1.1 rejoin-requests)
through the gateways that hear it, listens in its receive windows, verifies and decrypts downlinks and
answers their MAC commands.

Sans-I/O apart from the injected clock: gateways call ``on_downlink``; a runner calls ``send_uplink``.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lorastack.lorawan import CFListChannelMasks, CFListFrequencies, JoinAcceptPayload, NetID, decode_phy_payload
from lorastack.lorawan import maccommands as mc
from lorastack.lorawan.band import get_band
from lorastack.lorawan.errors import DecodeError
from lorastack.lorawan.frequencyplans import FrequencyPlan
from lorastack.sim.device.counters import DeviceCounters
from lorastack.sim.device.join import build_join_request, open_join_accept
from lorastack.sim.device.mac import STICKY, handle_commands
from lorastack.sim.device.macstate import DeviceChannel, initial_mac_state
from lorastack.sim.device.profile import Activation, DeviceClass, DeviceProfile
from lorastack.sim.device.rejoin import SentRejoin, build_rejoin_request, open_rejoin_accept
from lorastack.sim.device.session import DataDownlink, DownlinkRejected, Session, build_data_uplink, open_data_downlink
from lorastack.sim.device.windows import RxWindow, RxWindows
from lorastack.sim.radio import AirGateway, Downlink, Uplink

__all__ = ["EndDevice", "GatewayLink"]

# How long after RX2 opens the device keeps the radio for the window before it may transmit again.
_RX2_GRACE = 0.2


@dataclass(frozen=True, slots=True)
class GatewayLink:
    """A gateway this device reaches, with the signal that gateway measures."""

    gateway: AirGateway
    rssi: float = -60.0
    snr: float = 7.0


class EndDevice:
    def __init__(
        self,
        profile: DeviceProfile,
        links: Sequence[GatewayLink],
        *,
        plan: FrequencyPlan | None = None,
        now: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        adr: bool = True,
    ) -> None:
        self.profile = profile
        self.links = list(links)
        self.band = get_band(profile.band_id)
        self.plan = plan
        self.counters = DeviceCounters()
        self.received: deque[tuple[int, bytes]] = deque(maxlen=64)
        self.adr = adr
        self._now = now
        self._rng = rng or random.Random()
        self._dev_nonce = profile.dev_nonce_start
        self._sent_dev_nonce = profile.dev_nonce_start
        self._busy_until = 0.0
        self._awaiting_ack = False
        self._answers: list[mc.MACCommand] = []
        self._sticky: list[mc.MACCommand] = []
        self._last_snr = 0.0
        self.session: Session | None = None
        self.net_id: NetID | None = None
        # RJcount0 restarts with every (re)join-accept; RJcount1 never does (LoRaWAN 1.1 section 6.2.4).
        self.rj_count0 = 0
        self.rj_count1 = 0
        self._rejoin: SentRejoin | None = None
        self.last_frame = b""
        abp = profile.activation is Activation.ABP
        self.mac = initial_mac_state(self.band, plan, preset_plan_channels=abp, data_rate=profile.data_rate)
        self.windows = RxWindows(rx2_frequency=self.mac.rx2_frequency, rx2_data_rate=self.mac.rx2_data_rate)
        self._indications = self._initial_indications()
        if abp:
            self._start_abp()
        for link in self.links:
            link.gateway.add_listener(self.on_downlink)

    # State ----------------------------------------------------------------------------------------

    @property
    def joined(self) -> bool:
        return self.session is not None

    @property
    def busy_until(self) -> float:
        return self._busy_until

    @property
    def busy(self) -> bool:
        return self._now() < self._busy_until

    def _initial_indications(self) -> list[mc.MACCommand]:
        if not self.profile.version.is_1_1:
            return []
        out: list[mc.MACCommand] = []
        out.append(mc.ResetInd(minor=1) if self.profile.activation is Activation.ABP else mc.RekeyInd(minor=1))
        if self.profile.device_class is DeviceClass.C:
            out.append(mc.DeviceModeInd(device_class=2))
        return out

    def _start_abp(self) -> None:
        keys = self.profile.abp
        if keys is None:
            raise ValueError(f"ABP device {self.profile.device_id} has no session keys")
        one_one = self.profile.version.is_1_1
        self.session = Session(
            dev_addr=keys.dev_addr,
            app_s_key=keys.app_s_key,
            f_nwk_s_int_key=keys.f_nwk_s_int_key,
            s_nwk_s_int_key=keys.s_nwk_s_int_key if one_one else keys.f_nwk_s_int_key,
            nwk_s_enc_key=keys.nwk_s_enc_key if one_one else keys.f_nwk_s_int_key,
            lorawan_1_1=one_one,
        )
        self._class_c_on()

    def _class_c_on(self) -> None:
        self.windows.class_c = self.profile.device_class is DeviceClass.C
        self.windows.rx2_frequency = self.mac.rx2_frequency
        self.windows.rx2_data_rate = self.mac.rx2_data_rate

    # Uplinks --------------------------------------------------------------------------------------

    def send_uplink(self, *, confirmed: bool = False, payload: bytes | None = None) -> bool:
        """Transmit the next frame (a join-request until joined); False when still in receive windows."""
        if self.busy:
            self.counters.uplinks_skipped_busy += 1
            return False
        if self._awaiting_ack:
            self.counters.confirmed_unacked += 1
            self._awaiting_ack = False
        self.windows.close()
        self._rejoin = None
        channels = self.mac.enabled_channels()
        if not channels:
            self.counters.missed["no_channel"] += 1
            return False
        ch_index, channel = self._rng.choice(channels)
        if self.session is None:
            return self._send_join(ch_index, channel)
        return self._send_data(self.session, ch_index, channel, confirmed, payload)

    def _send_join(self, ch_index: int, channel: DeviceChannel) -> bool:
        # DevNonce counts join-requests (LoRaWAN 1.0.4 section 6.2.5): a retry never reuses one.
        self._sent_dev_nonce = self._dev_nonce
        self._dev_nonce = (self._dev_nonce + 1) & 0xFFFF
        frame = build_join_request(self.profile, self._sent_dev_nonce)
        self.counters.join_requests += 1
        delays = (self.band.join_accept_delay_1, self.band.join_accept_delay_2)
        rx2 = (self.band.rx2_frequency, self.band.rx2_data_rate_index)
        self._transmit(frame, ch_index, channel, delays, rx2=rx2, rx1_dr_offset=0)
        return True

    def send_rejoin(self, rejoin_type: int) -> bool:
        """Transmit a rejoin-request of ``rejoin_type`` (0, 1 or 2; LoRaWAN 1.1 OTAA devices). The device
        keeps its session until the rejoin-accept arrives; False while still in receive windows."""
        if rejoin_type not in (0, 1, 2):
            raise ValueError(f"no rejoin type {rejoin_type}")
        if self.busy:
            self.counters.uplinks_skipped_busy += 1
            return False
        channels = self.mac.enabled_channels()
        if not channels:
            self.counters.missed["no_channel"] += 1
            return False
        count = self.rj_count1 if rejoin_type == 1 else self.rj_count0
        sent = SentRejoin(rejoin_type, count)
        frame = build_rejoin_request(self.profile, sent, session=self.session, net_id=self.net_id)
        if rejoin_type == 1:
            self.rj_count1 = (count + 1) & 0xFFFF
        else:
            self.rj_count0 = (count + 1) & 0xFFFF
        self.windows.close()
        self._awaiting_ack = False
        self._rejoin = sent
        self.counters.rejoin_requests += 1
        ch_index, channel = self._rng.choice(channels)
        delays = (self.band.join_accept_delay_1, self.band.join_accept_delay_2)
        rx2 = (self.band.rx2_frequency, self.band.rx2_data_rate_index)
        self._transmit(frame, ch_index, channel, delays, rx2=rx2, rx1_dr_offset=0)
        return True

    def _send_data(
        self, session: Session, ch_index: int, channel: DeviceChannel, confirmed: bool, payload: bytes | None
    ) -> bool:
        commands = self._answers + self._sticky + self._indications
        commands += self._extra_requests()
        block = mc.encode_mac_commands(commands)
        body = self._rng.randbytes(self.profile.payload_size) if payload is None else payload
        f_port: int | None = self.profile.f_port
        f_opts = block
        if len(block) > 15:
            f_port, body, f_opts = 0, block, b""
        frame = build_data_uplink(
            session,
            f_port=f_port,
            payload=body,
            f_opts=f_opts,
            confirmed=confirmed,
            adr=self.adr,
            tx_dr=self.mac.data_rate,
            tx_ch=ch_index,
        )
        session.f_cnt_up += 1
        session.pending_ack_f_cnt_down = None
        self._answers = []
        self.counters.uplinks += 1
        self.counters.mac_answers += len(commands)
        if confirmed:
            self.counters.confirmed_uplinks += 1
            self._awaiting_ack = True
        delay = float(self.mac.rx1_delay)
        self._transmit(
            frame, ch_index, channel, (delay, delay + 1), rx2=(self.mac.rx2_frequency, self.mac.rx2_data_rate)
        )
        return True

    def _extra_requests(self) -> list[mc.MACCommand]:
        """Device-initiated requests; subclasses or tests may add LinkCheckReq/DeviceTimeReq here."""
        return []

    def _transmit(
        self,
        frame: bytes,
        ch_index: int,
        channel: DeviceChannel,
        delays: tuple[float, float],
        *,
        rx2: tuple[int, int],
        rx1_dr_offset: int | None = None,
    ) -> None:
        """``rx1_dr_offset`` 0: (re)join-accept windows, which ignore the session's RX1 offset."""
        now = self._now()
        self.last_frame = frame
        uplink = Uplink(frame, channel.frequency, self.mac.data_rate, now)
        stamps: dict[str, int] = {}
        for link in self.links:
            stamp = link.gateway.hear(uplink, link.rssi, link.snr)
            if stamp is not None:
                stamps[link.gateway.gateway_id] = stamp
        if not stamps:
            self.counters.uplinks_not_heard += 1
        rx1_frequency, rx1_rate = self.mac.rx1(channel.frequency, ch_index, self.mac.data_rate)
        if rx1_dr_offset is not None:
            rx1_rate = self.band.rx1_data_rate(self.mac.data_rate, rx1_dr_offset, self.mac.downlink_dwell_time)
        self.windows.open(
            stamps,
            RxWindow(round(delays[0] * 1_000_000), rx1_frequency, rx1_rate),
            RxWindow(round(delays[1] * 1_000_000), rx2[0], rx2[1]),
        )
        self._busy_until = now + delays[1] + _RX2_GRACE

    # Downlinks ------------------------------------------------------------------------------------

    def on_downlink(self, downlink: Downlink) -> None:
        reception = self.windows.receive(downlink)
        if reception.window is None:
            if self._addressed_to_me(downlink.payload):
                self.counters.missed[reception.miss] += 1
            return
        self._last_snr = downlink.snr
        if self._rejoin is not None and self._rejoin_accept(self._rejoin, downlink.payload, reception.window):
            return
        try:
            if self.session is None:
                self._join_accept(downlink.payload, reception.window)
            else:
                self._data(self.session, downlink.payload, reception.window)
        except DownlinkRejected as rejected:
            if rejected.reason == "mic":
                if self.session is None:
                    self.counters.join_accept_mic_failures += 1
                else:
                    self.counters.mic_failures += 1
            else:
                self.counters.f_cnt_errors += 1

    def _addressed_to_me(self, frame: bytes) -> bool:
        if self.session is None:
            return False
        try:
            phy = decode_phy_payload(frame)
        except DecodeError:
            return False
        fhdr = getattr(phy.payload, "fhdr", None)
        return fhdr is not None and fhdr.dev_addr == self.session.dev_addr

    def _count_window(self, window: str) -> None:
        if window == "rx1":
            self.counters.downlinks_rx1 += 1
        elif window == "rx2":
            self.counters.downlinks_rx2 += 1
        else:
            self.counters.downlinks_rxc += 1

    def _join_accept(self, frame: bytes, window: str) -> None:
        outcome = open_join_accept(self.profile, self._sent_dev_nonce, frame)
        if outcome is None:
            return
        self.session = outcome.session
        self.net_id = outcome.accept.net_id
        self.rj_count0 = 0
        self._count_window(window)
        self.counters.joins += 1
        self.mac = initial_mac_state(self.band, self.plan, preset_plan_channels=False, data_rate=self.mac.data_rate)
        self._apply_join_settings(outcome.accept)
        self._indications = self._initial_indications()
        self._answers, self._sticky = [], []
        self._busy_until = 0.0
        self._class_c_on()

    def _rejoin_accept(self, sent: SentRejoin, frame: bytes, window: str) -> bool:
        """Take the accept of the rejoin-request sent; False when ``frame`` is no join-accept."""
        try:
            outcome = open_rejoin_accept(self.profile, sent, frame)
        except DownlinkRejected:
            self.counters.join_accept_mic_failures += 1
            return True
        if outcome is None:
            return False
        self._rejoin = None
        self.session = outcome.session
        self.net_id = outcome.accept.net_id
        self.rj_count0 = 0
        self._count_window(window)
        self.counters.rejoins += 1
        if sent.rejoin_type != 2:
            # Types 0 and 1 reset the radio parameters as a join does; type 2 keeps them.
            self.mac = initial_mac_state(self.band, self.plan, preset_plan_channels=False, data_rate=self.mac.data_rate)
            self._apply_join_settings(outcome.accept)
        self._indications = self._initial_indications()
        self._answers, self._sticky = [], []
        self._busy_until = 0.0
        self._class_c_on()
        return True

    def _apply_join_settings(self, accept: JoinAcceptPayload) -> None:
        self.mac.rx1_delay = accept.rx_delay & 0x0F or 1
        self.mac.rx1_dr_offset = accept.dl_settings.rx1_dr_offset
        self.mac.rx2_data_rate = accept.dl_settings.rx2_dr
        cflist = accept.cflist
        if isinstance(cflist, CFListFrequencies):
            defaults = list(self.mac.channels.values())
            low = min(ch.min_data_rate for ch in defaults)
            high = max(ch.max_data_rate for ch in defaults)
            for offset, frequency in enumerate(cflist.frequencies):
                if frequency:
                    self.mac.channels[len(self.band.uplink_channels) + offset] = DeviceChannel(frequency, low, high)
        elif isinstance(cflist, CFListChannelMasks):
            for index, channel in self.mac.channels.items():
                block, bit = divmod(index, 16)
                mask = cflist.masks[block] if block < len(cflist.masks) else 0
                channel.enabled = bool(mask & (1 << bit))

    def _data(self, session: Session, frame: bytes, window: str) -> None:
        down = open_data_downlink(session, frame, ack_expected=self._awaiting_ack)
        if down is None:
            return
        self._count_window(window)
        if window != "rxc":
            self._sticky = []
        if down.ack and self._awaiting_ack:
            self.counters.acks += 1
            self._awaiting_ack = False
        if down.confirmed:
            self.counters.confirmed_downlinks += 1
        if down.f_port:
            self.counters.application_downlinks += 1
            self.received.append((down.f_port, down.payload))
        self._mac(down)

    def _mac(self, down: DataDownlink) -> None:
        self.counters.mac_commands += len(down.commands)
        result = handle_commands(self.mac, down.commands, snr=self._last_snr, battery=self.profile.battery)
        for answer in result.answers:
            (self._sticky if isinstance(answer, STICKY) else self._answers).append(answer)
        for confirmation in result.confirmations:
            wanted = {mc.RekeyConf: mc.RekeyInd, mc.ResetConf: mc.ResetInd, mc.DeviceModeConf: mc.DeviceModeInd}
            indication = wanted[type(confirmation)]
            self._indications = [i for i in self._indications if not isinstance(i, indication)]
        self._class_c_on()
