"""Frames a test device sends, built with the lorawan library, and the GsNs messages carrying them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from lorastack.lorawan import (
    FHDR,
    MHDR,
    AES128Key,
    DevAddr,
    FCtrl,
    MACPayload,
    MType,
    PHYPayload,
    data_uplink_mic_1_0,
)
from ttn.lorawan.v3 import identifiers_pb2, lorawan_pb2, messages_pb2, metadata_pb2

NWK_S_KEY = bytes.fromhex("44024241ED4CE9A68C6A8BC055233FD3")


def data_uplink(
    dev_addr: str,
    f_cnt: int,
    *,
    key: bytes = NWK_S_KEY,
    f_port: int | None = 1,
    payload: bytes = b"\x01\x02",
    confirmed: bool = False,
    f_opts: bytes = b"",
    adr: bool = False,
) -> bytes:
    addr = DevAddr.from_hex(dev_addr)
    fhdr = FHDR(addr, FCtrl(adr=adr), f_cnt & 0xFFFF, f_opts)
    mtype = MType.CONFIRMED_DATA_UP if confirmed else MType.UNCONFIRMED_DATA_UP
    phy = PHYPayload(MHDR(mtype), MACPayload(fhdr, f_port, payload if f_port is not None else b""), b"\0" * 4)
    signed = phy.encode_without_mic()
    return signed + data_uplink_mic_1_0(AES128Key(key), addr, f_cnt, signed)


def uplink_message(
    raw: bytes, gateways: Sequence[str] = ("gw-1",), *, snr: float = 7.0, frequency: int = 868_100_000
) -> list[messages_pb2.UplinkMessage]:
    """One GsNs message per gateway that heard the frame."""
    now = timestamp_pb2.Timestamp()
    now.FromDatetime(datetime.now(UTC))
    out = []
    for index, gateway in enumerate(gateways):
        out.append(
            messages_pb2.UplinkMessage(
                raw_payload=raw,
                settings=lorawan_pb2.TxSettings(
                    data_rate=lorawan_pb2.DataRate(
                        lora=lorawan_pb2.LoRaDataRate(bandwidth=125_000, spreading_factor=7, coding_rate="4/5")
                    ),
                    frequency=frequency,
                ),
                rx_metadata=[
                    metadata_pb2.RxMetadata(
                        gateway_ids=identifiers_pb2.GatewayIdentifiers(gateway_id=gateway),
                        snr=snr - index,
                        channel_rssi=-40.0 - index,
                        uplink_token=f"token-{gateway}".encode(),
                    )
                ],
                received_at=now,
                correlation_ids=[f"gs:uplink:{gateway}"],
            )
        )
    return out
