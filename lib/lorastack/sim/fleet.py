"""Deterministic identities and keys for a run's gateways and devices, derived from a run prefix and seed,
so that a repeated run finds its registrations again."""

from __future__ import annotations

import hashlib
import random

from lorastack.lorawan import EUI64, AES128Key, DevAddr
from lorastack.lorawan.band import get_band
from lorastack.lorawan.frequencyplans import get_plan
from lorastack.sim.device.profile import ABPSession, Activation, DeviceClass, DeviceProfile, LoRaWANVersion
from lorastack.sim.gateway import GatewayIdentity

__all__ = ["device_profiles", "gateway_identities"]


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()


def gateway_identities(prefix: str, count: int) -> list[GatewayIdentity]:
    return [GatewayIdentity(f"{prefix}-gw-{i}", _digest(prefix, "gateway", i)[:8]) for i in range(count)]


def device_profiles(
    prefix: str,
    count: int,
    *,
    seed: int,
    activation: Activation,
    version: LoRaWANVersion,
    device_class: DeviceClass,
    frequency_plan_id: str,
    data_rate: int | None = None,
    payload_size: int = 8,
    dev_nonce_start: int = 0,
) -> list[DeviceProfile]:
    plan = get_plan(frequency_plan_id)
    get_band(plan.band_id)
    join_eui = EUI64(_digest(prefix, "join_eui")[:8])
    out = []
    for i in range(count):
        rng = random.Random(_digest(prefix, seed, "device", i))
        abp = None
        if activation is Activation.ABP:
            # DevAddr 26000000/7 (NetID 000013, The Things Network's block) with random low bits.
            dev_addr = DevAddr.from_int(0x26000000 | rng.getrandbits(25))
            keys = [AES128Key(rng.randbytes(16)) for _ in range(4)]
            abp = ABPSession(dev_addr, *keys)
        out.append(
            DeviceProfile(
                device_id=f"{prefix}-dev-{i}",
                dev_eui=EUI64(_digest(prefix, "dev_eui", i)[:8]),
                join_eui=join_eui,
                version=version,
                activation=activation,
                device_class=device_class,
                band_id=plan.band_id,
                frequency_plan_id=frequency_plan_id,
                app_key=AES128Key(rng.randbytes(16)),
                nwk_key=AES128Key(rng.randbytes(16)),
                abp=abp,
                data_rate=data_rate,
                payload_size=payload_size,
                dev_nonce_start=dev_nonce_start,
            )
        )
    return out
