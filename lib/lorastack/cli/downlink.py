"""``end-devices downlink push|replace|list``: the Application Server's downlink queue of a device
(``AppAs.DownlinkQueuePush``, ``DownlinkQueueReplace``, ``DownlinkQueueList``)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from google.protobuf import struct_pb2

from lorastack.cli import flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError
from ttn.lorawan.v3 import identifiers_pb2, lorawan_pb2, messages_pb2

__all__ = ["register"]


def _ids(args: argparse.Namespace) -> identifiers_pb2.EndDeviceIdentifiers:
    ids = identifiers_pb2.EndDeviceIdentifiers(device_id=flags.require(args.device_id, "--device-id"))
    ids.application_ids.application_id = flags.require(args.application_id, "--application-id")
    return ids


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None


def _json_object(text: str) -> struct_pb2.Struct:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not JSON: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("the decoded payload must be a JSON object")
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _downlink(args: argparse.Namespace) -> messages_pb2.ApplicationDownlink:
    if args.frm_payload is None and args.decoded_payload is None:
        raise CliError("give --frm-payload (hex) or --decoded-payload (JSON for the downlink formatter)")
    message = messages_pb2.ApplicationDownlink(f_port=args.f_port, confirmed=args.confirmed)
    if args.frm_payload is not None:
        message.frm_payload = args.frm_payload
    if args.decoded_payload is not None:
        message.decoded_payload.CopyFrom(args.decoded_payload)
    if args.priority is not None:
        message.priority = lorawan_pb2.TxSchedulePriority.Value(args.priority)
    return message


async def _queue(method: str, args: argparse.Namespace, session: Session) -> None:
    request = messages_pb2.DownlinkQueueRequest(end_device_ids=_ids(args))
    if not (method.endswith("Replace") and args.clear):
        request.downlinks.append(_downlink(args))
    await session.client.call(method, request)
    session.out.note("downlink queue " + ("replaced" if method.endswith("Replace") else "extended"))


async def _list(args: argparse.Namespace, session: Session) -> None:
    response = await session.client.call("AppAs/DownlinkQueueList", _ids(args))
    session.out.messages(list(response.downlinks))


def register(sub: flags.SubParsers) -> None:
    group = flags.group(sub, "downlink", "the device's application downlink queue", ["down"])
    priorities = [v.name for v in lorawan_pb2.TxSchedulePriority.DESCRIPTOR.values]
    for verb, text, handler in (
        ("push", "add a downlink at the end of the queue", partial(_queue, "AppAs/DownlinkQueuePush")),
        ("replace", "replace the whole queue with this downlink", partial(_queue, "AppAs/DownlinkQueueReplace")),
        ("list", "show the queued downlinks", _list),
    ):
        parser = flags.leaf(group, verb, text, handler)
        parser.add_argument("--application-id", help="the application id")
        parser.add_argument("--device-id", help="the device id")
        if verb == "list":
            continue
        parser.add_argument("--f-port", type=int, default=1, help="FPort, 1..223 (default 1)")
        parser.add_argument("--frm-payload", type=_hex, help="the application payload (hex)")
        parser.add_argument("--decoded-payload", type=_json_object, help="JSON object for the downlink formatter")
        parser.add_argument("--confirmed", action="store_true", help="ask the device to acknowledge it")
        parser.add_argument("--priority", choices=priorities, help="scheduling priority")
        if verb == "replace":
            parser.add_argument("--clear", action="store_true", help="empty the queue instead")
