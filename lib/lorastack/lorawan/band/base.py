"""Value types shared by every region: data rates, channels, sub-bands and the Band record.

Implements the common structure of LoRaWAN Regional Parameters RP002-1.0.3/1.0.4 section 2
(each region's sub-sections 2.x.3 data rates, 2.x.6 payload sizes, 2.x.7 RX1 mapping, 2.x.8 beacon).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from lorastack.lorawan.errors import LoRaWANError

__all__ = [
    "DEFAULT_ADR_ACK_DELAY",
    "DEFAULT_ADR_ACK_LIMIT",
    "DEFAULT_JOIN_ACCEPT_DELAY_1",
    "DEFAULT_JOIN_ACCEPT_DELAY_2",
    "DEFAULT_MAX_FCNT_GAP",
    "DEFAULT_RECEIVE_DELAY_1",
    "DEFAULT_RECEIVE_DELAY_2",
    "EIRP_ERP_DELTA",
    "Band",
    "BandError",
    "Beacon",
    "CFListType",
    "Channel",
    "DataRate",
    "FSKModulation",
    "LRFHSSModulation",
    "LoRaModulation",
    "Modulation",
    "SubBand",
]

# RP002-1.0.3 section 2.1 / LoRaWAN 1.0.4 section 5 default timing and counters.
DEFAULT_RECEIVE_DELAY_1 = 1.0
DEFAULT_RECEIVE_DELAY_2 = 2.0
DEFAULT_JOIN_ACCEPT_DELAY_1 = 5.0
DEFAULT_JOIN_ACCEPT_DELAY_2 = 6.0
DEFAULT_MAX_FCNT_GAP = 16384
DEFAULT_ADR_ACK_LIMIT = 64
DEFAULT_ADR_ACK_DELAY = 32
# Regulators state radiated power as ERP in some regions; EIRP = ERP + 2.15 dB.
EIRP_ERP_DELTA = 2.15


class BandError(LoRaWANError):
    """A regional parameter was asked for that the band does not define."""


class CFListType(Enum):
    """CFListType byte of the join-accept CFList (RP002-1.0.3 section 2.x.4)."""

    FREQUENCIES = 0
    CHANNEL_MASKS = 1


@dataclass(frozen=True, slots=True)
class LoRaModulation:
    spreading_factor: int
    bandwidth: int
    coding_rate: str = "4/5"


@dataclass(frozen=True, slots=True)
class FSKModulation:
    bit_rate: int


@dataclass(frozen=True, slots=True)
class LRFHSSModulation:
    """LR-FHSS: occupied channel width in Hz and the coding rate of the payload."""

    occupied_channel_width: int
    coding_rate: str


Modulation = LoRaModulation | FSKModulation | LRFHSSModulation


@dataclass(frozen=True, slots=True)
class DataRate:
    """One row of a region's data-rate table with its maximum MACPayload size M.

    ``max_mac_payload_dwell`` is the limit while uplink/downlink dwell time is on;
    0 means the data rate cannot be used then.
    """

    index: int
    modulation: Modulation
    max_mac_payload: int
    max_mac_payload_dwell: int | None = None

    def max_mac_payload_size(self, dwell_time: bool = False) -> int:
        if dwell_time and self.max_mac_payload_dwell is not None:
            return self.max_mac_payload_dwell
        return self.max_mac_payload

    def max_frm_payload_size(self, dwell_time: bool = False, f_opts_len: int = 0) -> int:
        """N = M - 8 (FHDR without FOpts is 7 bytes, FPort 1), minus FOpts when present."""
        return max(0, self.max_mac_payload_size(dwell_time) - 8 - f_opts_len)

    @property
    def bit_rate(self) -> float:
        """Raw PHY bit rate in bit/s (LoRa: SF * BW/2^SF * CR), as the RP002 tables list it."""
        mod = self.modulation
        if isinstance(mod, FSKModulation):
            return float(mod.bit_rate)
        if isinstance(mod, LoRaModulation):
            num, den = (int(x) for x in mod.coding_rate.rstrip("LI").split("/"))
            symbol_rate = mod.bandwidth / (1 << mod.spreading_factor)
            # Low data rate optimisation (symbols of 16 ms or more) carries SF-2 bits a symbol.
            bits = mod.spreading_factor - 2 if symbol_rate <= 62.5 else mod.spreading_factor
            return bits * symbol_rate * num / den
        # RP002 lists LR-FHSS rates of 162 bit/s (CR 1/3) and 325 bit/s (CR 2/3).
        return 162.0 if mod.coding_rate == "1/3" else 325.0


@dataclass(frozen=True, slots=True)
class Channel:
    frequency: int
    min_data_rate: int = 0
    max_data_rate: int = 5


@dataclass(frozen=True, slots=True)
class SubBand:
    """A regulatory sub-band: frequency range (inclusive), duty cycle as a fraction, max EIRP dBm."""

    min_frequency: int
    max_frequency: int
    duty_cycle: float
    max_eirp: float

    def contains(self, frequency: int) -> bool:
        return self.min_frequency <= frequency <= self.max_frequency


@dataclass(frozen=True, slots=True)
class Beacon:
    """Class B beacon: data rate, coding rate and the frequencies it hops over.

    With several frequencies the beacon channel is floor(beacon_time / 128) mod count
    (RP002-1.0.3 section 2.5.8 for US902-928).
    """

    data_rate_index: int
    coding_rate: str
    frequencies: tuple[int, ...]

    def frequency(self, beacon_time: int) -> int:
        return self.frequencies[(beacon_time // 128) % len(self.frequencies)]


Rx1DataRateFn = Callable[[int, int, bool], int]
Rx1FrequencyFn = Callable[["Band", int], int]
ChMaskFn = Callable[[int, int], dict[int, bool]]


@dataclass(frozen=True, slots=True)
class Band:
    """The regional parameters of one band, as named by The Things Stack (``EU_863_870``...)."""

    id: str
    name: str
    spec_section: str
    data_rates: Mapping[int, DataRate]
    uplink_channels: tuple[Channel, ...]
    downlink_channels: tuple[Channel, ...]
    max_uplink_channels: int
    max_downlink_channels: int
    sub_bands: tuple[SubBand, ...]
    default_max_eirp: float
    tx_power_offsets: tuple[float, ...]
    max_adr_data_rate_index: int
    rx2_frequency: int
    rx2_data_rate_index: int
    beacon: Beacon
    ping_slot_frequencies: tuple[int, ...]
    ping_slot_data_rate_index: int
    cf_list_type: CFListType
    rx1_data_rate_fn: Rx1DataRateFn = field(repr=False, compare=False)
    rx1_frequency_fn: Rx1FrequencyFn = field(repr=False, compare=False)
    ch_mask_fn: ChMaskFn = field(repr=False, compare=False)
    join_channels: tuple[Channel, ...] = ()
    boot_uplink_dwell_time: bool | None = None
    boot_downlink_dwell_time: bool | None = None
    tx_param_setup_req_support: bool = False
    freq_multiplier: int = 100
    receive_delay_1: float = DEFAULT_RECEIVE_DELAY_1
    receive_delay_2: float = DEFAULT_RECEIVE_DELAY_2
    join_accept_delay_1: float = DEFAULT_JOIN_ACCEPT_DELAY_1
    join_accept_delay_2: float = DEFAULT_JOIN_ACCEPT_DELAY_2
    max_fcnt_gap: int = DEFAULT_MAX_FCNT_GAP
    adr_ack_limit: int = DEFAULT_ADR_ACK_LIMIT
    adr_ack_delay: int = DEFAULT_ADR_ACK_DELAY

    def data_rate(self, index: int) -> DataRate:
        try:
            return self.data_rates[index]
        except KeyError:
            raise BandError(f"data rate index {index} is not defined in band {self.id}") from None

    def find_data_rate(self, modulation: Modulation, uplink: bool = True) -> DataRate:
        """The data rate with this modulation; for an uplink the lowest index wins.

        US902-928 lists SF8/500 kHz both as DR4 (uplink) and DR12 (downlink).
        """
        matches = [dr for dr in self.data_rates.values() if _same_modulation(dr.modulation, modulation)]
        if not matches:
            raise BandError(f"no data rate of band {self.id} matches {modulation}")
        matches.sort(key=lambda dr: dr.index)
        return matches[0] if uplink else matches[-1]

    @property
    def max_tx_power_index(self) -> int:
        return len(self.tx_power_offsets) - 1

    def tx_power(self, index: int, max_eirp: float | None = None) -> float:
        """EIRP in dBm for a TXPower index: max EIRP plus the table offset."""
        if not 0 <= index < len(self.tx_power_offsets):
            raise BandError(f"tx power index {index} is not defined in band {self.id}")
        base = self.default_max_eirp if max_eirp is None else max_eirp
        return base + self.tx_power_offsets[index]

    def rx1_data_rate(self, uplink_data_rate: int, rx1_dr_offset: int, dwell_time: bool = False) -> int:
        if uplink_data_rate not in self.data_rates:
            raise BandError(f"data rate index {uplink_data_rate} is not defined in band {self.id}")
        if not 0 <= rx1_dr_offset <= 7:
            raise BandError(f"rx1 data rate offset {rx1_dr_offset} out of range")
        return self.rx1_data_rate_fn(uplink_data_rate, rx1_dr_offset, dwell_time)

    def rx1_frequency(self, uplink_frequency: int) -> int:
        """Downlink frequency of RX1 for an uplink received on ``uplink_frequency``."""
        return self.rx1_frequency_fn(self, uplink_frequency)

    def parse_ch_mask(self, ch_mask: int, ch_mask_cntl: int) -> dict[int, bool]:
        """Channels a LinkADRReq (ChMask, ChMaskCntl) switches, index -> enabled.

        Only the channels the command speaks about are in the result.
        """
        if not 0 <= ch_mask <= 0xFFFF:
            raise BandError(f"channel mask {ch_mask:#x} does not fit in 16 bits")
        return self.ch_mask_fn(ch_mask, ch_mask_cntl)

    def find_sub_band(self, frequency: int) -> SubBand | None:
        for sub_band in self.sub_bands:
            if sub_band.contains(frequency):
                return sub_band
        return None

    def ping_slot_frequency(self, dev_addr: int, beacon_time: int) -> int:
        """Default ping-slot channel; hops by (DevAddr + floor(beacon_time/128)) mod count."""
        freqs = self.ping_slot_frequencies
        if len(freqs) == 1:
            return freqs[0]
        return freqs[(dev_addr + beacon_time // 128) % len(freqs)]


def _same_modulation(a: Modulation, b: Modulation) -> bool:
    if isinstance(a, LoRaModulation) and isinstance(b, LoRaModulation):
        return a.spreading_factor == b.spreading_factor and a.bandwidth == b.bandwidth
    return a == b
