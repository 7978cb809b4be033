"""Semtech UDP JSON objects to and from ttn.lorawan.v3 messages (PROTOCOL.TXT sections 4 and 6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2, wrappers_pb2

from gatewayserver.gateways import GatewayInfo
from gatewayserver.udp.codec import RxPacket, Stat, TxPacket
from ttn.lorawan.v3 import gateway_pb2, lorawan_pb2, messages_pb2, metadata_pb2

__all__ = ["GPS_EPOCH", "rx_to_uplink", "stat_to_status", "tx_settings_to_txpk"]

GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)

# Builds the uplink token of one antenna's reception (the listener knows the clock).
TokenFn = Callable[[int], bytes]

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _stamp(field: timestamp_pb2.Timestamp, value: datetime) -> None:
    """What ``FromDatetime`` sets (naive values taken as UTC), at a fraction of its cost on the uplink path."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    field.FromMicroseconds((aware - _UNIX_EPOCH) // _MICROSECOND)


def _data_rate(rx: RxPacket) -> lorawan_pb2.DataRate:
    if rx.modulation == "LORA":
        return lorawan_pb2.DataRate(
            lora=lorawan_pb2.LoRaDataRate(
                spreading_factor=rx.spreading_factor, bandwidth=rx.bandwidth, coding_rate=rx.coding_rate
            )
        )
    return lorawan_pb2.DataRate(fsk=lorawan_pb2.FSKDataRate(bit_rate=rx.bit_rate))


def _metadata(
    rx: RxPacket, gateway: GatewayInfo, received_at: datetime, token: TokenFn
) -> list[metadata_pb2.RxMetadata]:
    common = metadata_pb2.RxMetadata(gateway_ids=gateway.ids, timestamp=rx.tmst, channel_index=rx.channel)
    _stamp(common.received_at, received_at)
    if rx.time is not None:
        _stamp(common.time, rx.time)
    if rx.gps_time_ms is not None:
        _stamp(common.gps_time, GPS_EPOCH + timedelta(milliseconds=rx.gps_time_ms))
    if gateway.location is not None:
        common.location.CopyFrom(gateway.location)
    if not rx.rsig:
        md = metadata_pb2.RxMetadata()
        md.CopyFrom(common)
        md.rssi = md.channel_rssi = rx.rssi
        md.snr = rx.snr or 0.0
        if rx.frequency_offset is not None:
            md.frequency_offset = rx.frequency_offset
        if rx.fine_timestamp is not None:
            md.fine_timestamp = rx.fine_timestamp
        md.uplink_token = token(0)
        return [md]
    out = []
    for sig in rx.rsig:
        md = metadata_pb2.RxMetadata()
        md.CopyFrom(common)
        md.antenna_index = sig.antenna
        md.channel_index = sig.channel
        md.rssi = md.channel_rssi = sig.rssi_channel
        if sig.rssi_signal is not None:
            md.signal_rssi.CopyFrom(wrappers_pb2.FloatValue(value=sig.rssi_signal))
        if sig.rssi_std_dev is not None:
            md.rssi_standard_deviation = sig.rssi_std_dev
        md.snr = sig.snr if sig.snr is not None else (rx.snr or 0.0)
        if sig.frequency_offset is not None:
            md.frequency_offset = sig.frequency_offset
        if sig.fine_timestamp is not None:
            md.fine_timestamp = sig.fine_timestamp
        if sig.encrypted_fine_timestamp is not None:
            md.encrypted_fine_timestamp = sig.encrypted_fine_timestamp
        md.uplink_token = token(sig.antenna)
        out.append(md)
    return out


def rx_to_uplink(
    rx: RxPacket, gateway: GatewayInfo, received_at: datetime, token: TokenFn
) -> messages_pb2.UplinkMessage:
    """One UplinkMessage with an RxMetadata per antenna that heard the frame."""
    settings = lorawan_pb2.TxSettings(
        data_rate=_data_rate(rx), frequency=rx.frequency, timestamp=rx.tmst, enable_crc=rx.crc_status != 0
    )
    if rx.time is not None:
        _stamp(settings.time, rx.time)
    message = messages_pb2.UplinkMessage(
        raw_payload=rx.data, settings=settings, rx_metadata=_metadata(rx, gateway, received_at, token)
    )
    _stamp(message.received_at, received_at)
    if rx.crc_status != 0:
        message.crc_status.CopyFrom(wrappers_pb2.BoolValue(value=rx.crc_status == 1))
    return message


def stat_to_status(stat: Stat) -> gateway_pb2.GatewayStatus:
    status = gateway_pb2.GatewayStatus(versions=stat.versions, metrics=stat.counters)
    if stat.time is not None:
        status.time.FromDatetime(stat.time)
    if stat.boot_time is not None:
        status.boot_time.FromDatetime(stat.boot_time)
    if stat.latitude is not None and stat.longitude is not None:
        status.antenna_locations.append(
            metadata_pb2.Location(
                latitude=stat.latitude,
                longitude=stat.longitude,
                altitude=stat.altitude or 0,
                source=metadata_pb2.SOURCE_GPS,
            )
        )
    return status


def tx_settings_to_txpk(settings: lorawan_pb2.TxSettings, payload: bytes, *, immediate: bool = False) -> TxPacket:
    """The ``txpk`` of a downlink the scheduler placed (``settings.timestamp`` is the 32-bit tmst)."""
    rate = settings.data_rate
    lora = rate.lora if rate.HasField("lora") else None
    return TxPacket(
        frequency=settings.frequency,
        power=int(settings.downlink.tx_power),
        data=payload,
        tmst=None if immediate else settings.timestamp,
        immediate=immediate,
        spreading_factor=lora.spreading_factor if lora else 0,
        bandwidth=lora.bandwidth if lora else 0,
        coding_rate=(lora.coding_rate or "4/5") if lora else "",
        bit_rate=rate.fsk.bit_rate if rate.HasField("fsk") else 0,
        invert_polarization=settings.downlink.invert_polarization,
        antenna=settings.downlink.antenna_index,
    )
