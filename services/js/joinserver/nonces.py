"""DevNonce, RJcount and JoinNonce bookkeeping of one join or rejoin, as pure functions of the stored device.

LoRaWAN 1.0.4 section 6.2.4 and 1.1 section 6.2.5 (DevNonce), 1.1 section 6.2.4.3 (RJcount0, RJcount1),
1.1 section 6.2.6 (JoinNonce).
"""

from __future__ import annotations

from joinserver import errors
from ttn.lorawan.v3 import end_device_pb2

__all__ = ["MAX_JOIN_NONCE", "consume_nonces", "consume_rejoin_count"]

MAX_JOIN_NONCE = 0xFFFFFF


def _never_joined(device: end_device_pb2.EndDevice) -> bool:
    return device.last_join_nonce == 0 and device.last_dev_nonce == 0 and not device.used_dev_nonces


def _next_join_nonce(device: end_device_pb2.EndDevice) -> end_device_pb2.EndDevice:
    """A copy of ``device`` holding the JoinNonce of the accept being built."""
    join_nonce = device.last_join_nonce + 1
    if join_nonce > MAX_JOIN_NONCE:
        raise errors.join_nonce_exhausted(device=f"{device.ids.application_ids.application_id}/{device.ids.device_id}")
    updated = end_device_pb2.EndDevice()
    updated.CopyFrom(device)
    updated.last_join_nonce = join_nonce
    return updated


def consume_nonces(
    device: end_device_pb2.EndDevice, dev_nonce: int, *, lorawan_1_1: bool, history: int
) -> end_device_pb2.EndDevice:
    """A copy of ``device`` with ``dev_nonce`` used and the next JoinNonce taken; raises when refused.

    1.0.x devices pick DevNonces at random, so used ones are remembered (the newest ``history``);
    1.1 devices count, so the DevNonce must grow. ``resets_join_nonces`` lifts both rules for
    devices that lose their counters (not LoRaWAN compliant, but such devices exist).
    """
    if not device.resets_join_nonces:
        if lorawan_1_1:
            first = dev_nonce == 0 and _never_joined(device)
            if dev_nonce <= device.last_dev_nonce and not first:
                raise errors.dev_nonce_too_small(dev_nonce=dev_nonce, last_dev_nonce=device.last_dev_nonce)
        elif dev_nonce in device.used_dev_nonces:
            raise errors.reuse_dev_nonce(dev_nonce=dev_nonce)
    updated = _next_join_nonce(device)
    updated.last_dev_nonce = dev_nonce
    if not lorawan_1_1:
        used = [n for n in device.used_dev_nonces if n != dev_nonce] + [dev_nonce]
        del updated.used_dev_nonces[:]
        updated.used_dev_nonces.extend(used[-history:])
    return updated


def consume_rejoin_count(device: end_device_pb2.EndDevice, rejoin_type: int, rj_count: int) -> end_device_pb2.EndDevice:
    """A copy of ``device`` with the rejoin counter recorded and the next JoinNonce taken.

    RJcount1 never restarts, so the Join Server refuses one that does not grow (only 0 is taken
    while nothing was recorded yet). RJcount0 (types 0 and 2) restarts at every join-accept the
    device processes, which only the Network Server sees; the NS also holds the SNwkSIntKey that
    signs those rejoins, so it checks RJcount0 and the Join Server only records it.
    """
    if rejoin_type == 1 and not device.resets_join_nonces:
        last = device.last_rj_count_1
        if rj_count <= last and not (rj_count == 0 and last == 0):
            raise errors.rj_count_too_small(rj_count=rj_count, last_rj_count=last)
    updated = _next_join_nonce(device)
    if rejoin_type == 1:
        updated.last_rj_count_1 = rj_count
    else:
        updated.last_rj_count_0 = rj_count
    return updated
