"""Basics Station ``updf``/``jreq``/``propdf`` to ttn.lorawan.v3.UplinkMessage, with an uplink token.

The data rate index maps through the band (RP002-1.0.3 section 2.x.3); ``xtime``'s low 32 bits are the
RxMetadata timestamp, its 48-bit counter the concentrator time the token pins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatewayserver.basicstation.codec import XTIME_MASK, BsCodecError, RadioInfo, Upstream, uplink_frame
from gatewayserver.gateways import GatewayInfo
from gatewayserver.uplinktoken import UplinkToken, encode_token
from lorastack.lorawan.band import BandError, FSKModulation, LoRaModulation, get_band
from ttn.lorawan.v3 import lorawan_pb2, messages_pb2, metadata_pb2

__all__ = ["uplink_message"]

_GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)


def _data_rate(band_id: str, index: int) -> lorawan_pb2.DataRate:
    try:
        modulation = get_band(band_id).data_rate(index).modulation
    except BandError:
        raise BsCodecError("invalid_data_rate", str(index)) from None
    if isinstance(modulation, LoRaModulation):
        return lorawan_pb2.DataRate(
            lora=lorawan_pb2.LoRaDataRate(
                spreading_factor=modulation.spreading_factor,
                bandwidth=modulation.bandwidth,
                coding_rate=modulation.coding_rate,
            )
        )
    if isinstance(modulation, FSKModulation):
        return lorawan_pb2.DataRate(fsk=lorawan_pb2.FSKDataRate(bit_rate=modulation.bit_rate))
    raise BsCodecError("invalid_data_rate", str(index))


def uplink_message(
    message: Upstream, radio: RadioInfo, gateway: GatewayInfo, band_id: str, received_at: float
) -> messages_pb2.UplinkMessage:
    timestamp = radio.xtime & 0xFFFFFFFF
    gateway_time = datetime.fromtimestamp(radio.rx_time, UTC) if radio.rx_time > 0 else None
    token = UplinkToken(
        gateway.gateway_id, gateway.eui, radio.rctx, timestamp, radio.xtime & XTIME_MASK, received_at, gateway_time
    )
    md = metadata_pb2.RxMetadata(
        gateway_ids=gateway.ids,
        antenna_index=radio.rctx,
        timestamp=timestamp,
        rssi=radio.rssi,
        channel_rssi=radio.rssi,
        snr=radio.snr,
        uplink_token=encode_token(token),
    )
    when = datetime.fromtimestamp(received_at, UTC)
    md.received_at.FromDatetime(when)
    if gateway_time is not None:
        md.time.FromDatetime(gateway_time)
    if radio.gps_time_us > 0:
        md.gps_time.FromDatetime(_GPS_EPOCH + timedelta(microseconds=radio.gps_time_us))
    if gateway.location is not None:
        md.location.CopyFrom(gateway.location)
    settings = lorawan_pb2.TxSettings(
        data_rate=_data_rate(band_id, radio.data_rate), frequency=radio.frequency, timestamp=timestamp
    )
    uplink = messages_pb2.UplinkMessage(raw_payload=uplink_frame(message), settings=settings, rx_metadata=[md])
    uplink.received_at.FromDatetime(when)
    return uplink
