"""The network's half of the air interface for the simulator's unit tests, built from the lorawan library:
join-accepts and data downlinks as a Network/Join Server would send them, and a gateway stand-in."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.lorawan import (
    EUI64,
    FHDR,
    MHDR,
    AES128Key,
    CFList,
    DevAddr,
    DevNonce,
    DLSettings,
    FCtrl,
    JoinAcceptPayload,
    JoinNonce,
    MACPayload,
    MType,
    NetID,
    PHYPayload,
    crypto,
)
from lorastack.lorawan import maccommands as mc
from lorastack.sim.clock import TMST_MODULUS
from lorastack.sim.device.profile import Activation, DeviceClass, DeviceProfile, LoRaWANVersion
from lorastack.sim.radio import Downlink, DownlinkListener, Uplink

APP_KEY = AES128Key(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C"))
NWK_KEY = AES128Key(bytes.fromhex("000102030405060708090A0B0C0D0E0F"))
DEV_EUI = EUI64.from_hex("0004A30B001C0530")
JOIN_EUI = EUI64.from_hex("70B3D57ED0000000")
NET_ID = NetID.from_hex("000013")
DEV_ADDR = DevAddr.from_hex("26011BDA")
DEFAULT_DL_SETTINGS = DLSettings(0, 3, False)


def profile(version: str = "1.0.3", device_class: str = "A", **kwargs: object) -> DeviceProfile:
    settings: dict[str, object] = {
        "device_id": "dev-1",
        "dev_eui": DEV_EUI,
        "join_eui": JOIN_EUI,
        "version": LoRaWANVersion(version),
        "activation": Activation.OTAA,
        "device_class": DeviceClass(device_class),
        "band_id": "EU_863_870",
        "frequency_plan_id": "EU_863_870_TTN",
        "app_key": APP_KEY,
        "nwk_key": NWK_KEY,
    }
    settings.update(kwargs)
    return DeviceProfile(**settings)  # type: ignore[arg-type]


def join_accept(
    version: str,
    dev_nonce: int,
    *,
    join_nonce: int = 0x000042,
    rx_delay: int = 1,
    dl_settings: DLSettings = DEFAULT_DL_SETTINGS,
    cflist: CFList | None = None,
    key: AES128Key | None = None,
) -> bytes:
    """A join-accept as the JS encrypts it: MIC over the plaintext, then AES decryption of payload | MIC."""
    one_one = version == "1.1"
    root = key or (NWK_KEY if one_one else APP_KEY)
    payload = JoinAcceptPayload(JoinNonce.from_int(join_nonce), NET_ID, DEV_ADDR, dl_settings, rx_delay, cflist)
    msg = PHYPayload(MHDR(MType.JOIN_ACCEPT), payload, b"\x00" * 4).encode_without_mic()
    if one_one and dl_settings.opt_neg:
        js_int = crypto.derive_js_int_key(root, DEV_EUI)
        mic = crypto.join_accept_mic_1_1(js_int, 0xFF, JOIN_EUI, DevNonce.from_int(dev_nonce), msg)
    else:
        mic = crypto.join_accept_mic_1_0(root, msg)
    return msg[:1] + crypto.encrypt_join_accept(root, msg[1:] + mic)


@dataclass
class NetworkSession:
    """The network's copy of a session, to build downlinks."""

    dev_addr: DevAddr
    nwk_s_key: AES128Key
    app_s_key: AES128Key
    s_nwk_s_int_key: AES128Key | None = None
    nwk_s_enc_key: AES128Key | None = None

    def downlink(
        self,
        f_cnt: int,
        *,
        commands: list[mc.MACCommand] | None = None,
        f_port: int | None = None,
        payload: bytes = b"",
        confirmed: bool = False,
        ack: bool = False,
        conf_f_cnt: int = 0,
    ) -> bytes:
        f_opts = mc.encode_mac_commands(commands or [])
        one_one = self.s_nwk_s_int_key is not None
        if one_one and f_opts:
            assert self.nwk_s_enc_key is not None
            app = f_port is not None and f_port > 0
            f_opts = crypto.encrypt_fopts(
                self.nwk_s_enc_key, self.dev_addr, f_cnt, f_opts, uplink=False, a_fcnt_down=app
            )
        key = self.app_s_key if f_port else (self.nwk_s_enc_key or self.nwk_s_key)
        frm = (
            crypto.encrypt_frm_payload(key, self.dev_addr, f_cnt, payload, uplink=False) if f_port is not None else b""
        )
        mtype = MType.CONFIRMED_DATA_DOWN if confirmed else MType.UNCONFIRMED_DATA_DOWN
        fhdr = FHDR(self.dev_addr, FCtrl(ack=ack), f_cnt & 0xFFFF, f_opts)
        msg = PHYPayload(MHDR(mtype), MACPayload(fhdr, f_port, frm), b"\x00" * 4).encode_without_mic()
        mic_key = self.s_nwk_s_int_key or self.nwk_s_key
        return msg + crypto.data_downlink_mic(
            mic_key, self.dev_addr, f_cnt, msg, conf_fcnt=conf_f_cnt if one_one else 0
        )


@dataclass
class FakeGateway:
    """Stamps uplinks with a settable 32-bit counter and hands downlinks to the devices listening."""

    gateway_id: str = "gw-1"
    tmst: int = 1_000_000
    uplinks: list[Uplink] = field(default_factory=list)
    listeners: list[DownlinkListener] = field(default_factory=list)
    deaf: bool = False

    def hear(self, uplink: Uplink, rssi: float, snr: float) -> int | None:
        if self.deaf:
            return None
        self.uplinks.append(uplink)
        return self.tmst

    def add_listener(self, listener: DownlinkListener) -> None:
        self.listeners.append(listener)

    def transmit(self, payload: bytes, *, delay_us: int | None, frequency: int, data_rate: int | None) -> None:
        at = None if delay_us is None else (self.tmst + delay_us) % TMST_MODULUS
        downlink = Downlink(payload, frequency, data_rate, self.gateway_id, at)
        for listener in self.listeners:
            listener(downlink)
