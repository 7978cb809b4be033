"""``lorastack end-devices``: one device across the four registries of seed 001 (see registration.py),
plus the device's application downlink queue (downlink.py)."""

from __future__ import annotations

import argparse
import os

from lorastack.cli import downlink, flags
from lorastack.cli.context import Session
from lorastack.cli.errors import CliError
from lorastack.cli.registration import AS, IS, JS, NS, create_device, delete_device, get_device, registry_paths
from lorastack.cli.versions import DEFAULT_PHY, is_lorawan_1_1, mac_version, phy_version
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, messages_pb2

__all__ = ["build_device", "register"]

EndDevice = end_device_pb2.EndDevice
_KEY = flags.hex_bytes(16)
_SESSION_KEYS = ("f_nwk_s_int_key", "s_nwk_s_int_key", "nwk_s_enc_key", "app_s_key")


def device_ids(args: argparse.Namespace) -> identifiers_pb2.EndDeviceIdentifiers:
    ids = identifiers_pb2.EndDeviceIdentifiers(device_id=flags.require(args.device_id, "--device-id"))
    ids.application_ids.application_id = flags.require(args.application_id, "--application-id")
    for name in ("dev_eui", "join_eui", "dev_addr"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(ids, name, value)
    return ids


def _random_key() -> bytes:
    return os.urandom(16)


def build_device(args: argparse.Namespace, session: Session) -> EndDevice:
    """The full EndDevice of ``end-devices create``: flags first, then defaults, then generated keys."""
    device = EndDevice(ids=device_ids(args))
    flags.set_common(device, args)
    device.lorawan_version = args.lorawan_version
    device.lorawan_phy_version = args.lorawan_phy_version or DEFAULT_PHY[args.lorawan_version]  # type: ignore[assignment]
    device.frequency_plan_id = args.frequency_plan_id
    device.supports_class_b = args.supports_class_b
    device.supports_class_c = args.supports_class_c
    device.supports_join = not args.abp
    device.network_server_address = session.config.address("ns")
    device.application_server_address = session.config.address("as")
    _formatters(device, args)
    if args.abp:
        _abp_session(device, args, session)
    else:
        _otaa_keys(device, args, session)
    return device


def _formatters(device: EndDevice, args: argparse.Namespace) -> None:
    for direction in ("up", "down"):
        name = getattr(args, f"{direction}_formatter")
        if name is not None:
            setattr(device.formatters, f"{direction}_formatter", messages_pb2.PayloadFormatter.Value(name))
            parameter = getattr(args, f"{direction}_formatter_parameter") or ""
            setattr(device.formatters, f"{direction}_formatter_parameter", parameter)


def _otaa_keys(device: EndDevice, args: argparse.Namespace, session: Session) -> None:
    if not device.ids.dev_eui:
        raise CliError("--dev-eui is required for an OTAA device")
    if not device.ids.join_eui:
        device.ids.join_eui = bytes(8)
        session.out.note("no --join-eui: using 0000000000000000")
    device.join_server_address = session.config.address("js")
    keys = [("app_key", args.app_key)]
    if is_lorawan_1_1(device.lorawan_version):
        keys.append(("nwk_key", args.nwk_key))
    for name, given in keys:
        if given is None:
            session.out.note(f"no --{name.replace('_', '-')}: generated one (see root_keys in the output)")
        getattr(device.root_keys, name).key = given or _random_key()


def _abp_session(device: EndDevice, args: argparse.Namespace, session: Session) -> None:
    if args.dev_addr is None:
        raise CliError("--dev-addr is required for an ABP device (`lorastack end-devices dev-addr` suggests one)")
    device.session.dev_addr = args.dev_addr
    device.ids.dev_addr = args.dev_addr
    # The NS and AS match queued downlinks to a session by this id, so both get the same one.
    device.session.keys.session_key_id = os.urandom(16)
    given = {name: getattr(args, name) for name in _SESSION_KEYS}
    if given["f_nwk_s_int_key"] is None:
        given["f_nwk_s_int_key"] = args.nwk_s_key
    needed = ["f_nwk_s_int_key", "app_s_key"]
    if is_lorawan_1_1(device.lorawan_version):
        needed += ["s_nwk_s_int_key", "nwk_s_enc_key"]
    for name in needed:
        if given[name] is None:
            session.out.note(f"no --{name.replace('_', '-')}: generated one (see session.keys in the output)")
        getattr(device.session.keys, name).key = given[name] or _random_key()


async def _create(args: argparse.Namespace, session: Session) -> None:
    device = build_device(args, session)
    session.out.message(await create_device(session, device, otaa=device.supports_join))


async def _get(args: argparse.Namespace, session: Session) -> None:
    session.out.message(await get_device(session, device_ids(args), args.with_keys))


async def _list(args: argparse.Namespace, session: Session) -> None:
    method = IS.method("List")
    request = session.client.request(method, limit=args.limit, page=args.page)
    request.application_ids.application_id = flags.require(args.application_id, "--application-id")
    request.field_mask.paths.extend(("name", "description"))
    session.out.messages(list((await session.client.call(method, request)).end_devices))


async def _update(args: argparse.Namespace, session: Session) -> None:
    """Each changed field goes to the registry that stores it; the result is the merged device."""
    device = EndDevice(ids=device_ids(args))
    flags.set_common(device, args)
    given = flags.common_paths(args)
    for name in ("frequency_plan_id", "lorawan_version", "lorawan_phy_version"):
        if getattr(args, name) is not None:
            setattr(device, name, getattr(args, name))
            given.append(name)
    for name in ("supports_class_b", "supports_class_c"):
        if getattr(args, name) is not None:
            setattr(device, name, getattr(args, name))
            given.append(name)
    for name in ("app_key", "nwk_key"):
        if getattr(args, name) is not None:
            getattr(device.root_keys, name).key = getattr(args, name)
            given.append(f"root_keys.{name}")
    _formatters(device, args)
    if device.HasField("formatters"):
        given.append("formatters")
    if not given:
        raise CliError("nothing to update: give at least one field flag")
    is_paths = registry_paths(IS, device, given)
    if is_paths:
        request = session.client.request(IS.method("Update"), end_device=device)
        request.field_mask.paths.extend(is_paths)
        await session.client.call(IS.method("Update"), request)
    for registry in (JS, NS, AS):
        paths = registry_paths(registry, device, given)
        if paths:
            request = session.client.request(registry.method("Set"), end_device=device)
            request.field_mask.paths.extend(paths)
            await session.client.call(registry.method("Set"), request)
    session.out.message(await get_device(session, device.ids, with_keys=False))


async def _delete(args: argparse.Namespace, session: Session) -> None:
    left = await delete_device(session, device_ids(args))
    if left:
        raise CliError(f"the device is gone from the Identity Server but still in: {', '.join(left)}")
    session.out.note(f"end device {args.device_id} deleted")


async def _dev_addr(args: argparse.Namespace, session: Session) -> None:
    response = await session.client.call("Ns/GenerateDevAddr", session.client.request("Ns/GenerateDevAddr"))
    session.out.message(response)


def _ids_flags(parser: argparse.ArgumentParser, euis: bool = False) -> None:
    parser.add_argument("--application-id", help="the application id")
    parser.add_argument("--device-id", help="the device id")
    if euis:
        parser.add_argument("--dev-eui", type=flags.hex_bytes(8), help="DevEUI (hex)")
        parser.add_argument("--join-eui", "--app-eui", type=flags.hex_bytes(8), help="JoinEUI/AppEUI (hex)")


def _field_flags(parser: argparse.ArgumentParser, create: bool) -> None:
    flags.add_common_fields(parser)
    parser.add_argument(
        "--frequency-plan-id", default="EU_863_870" if create else None, help="default EU_863_870 on create"
    )
    parser.add_argument(
        "--lorawan-version", type=mac_version, default=mac_version("1.0.3") if create else None, help="e.g. 1.0.3"
    )
    parser.add_argument("--lorawan-phy-version", type=phy_version, help="e.g. 1.0.3-a, rp002-1.0.3 (default: by MAC)")
    parser.add_argument("--supports-class-b", action=argparse.BooleanOptionalAction, default=False if create else None)
    parser.add_argument("--supports-class-c", action=argparse.BooleanOptionalAction, default=False if create else None)
    parser.add_argument("--app-key", type=_KEY, help="AppKey (OTAA root key, hex)")
    parser.add_argument("--nwk-key", type=_KEY, help="NwkKey (LoRaWAN 1.1 OTAA root key, hex)")
    formats = [v.name for v in messages_pb2.PayloadFormatter.DESCRIPTOR.values]
    for direction in ("up", "down"):
        parser.add_argument(f"--{direction}-formatter", choices=formats, help=f"{direction}link payload formatter")
        parser.add_argument(f"--{direction}-formatter-parameter", help="e.g. the JavaScript source")


def register(sub: flags.SubParsers) -> None:
    devices = flags.group(sub, "end-devices", "end devices in all four registries", ["end-device", "devices", "dev"])

    create = flags.leaf(devices, "create", "register a device: IS, JS (OTAA), NS, AS; undone on failure", _create)
    _ids_flags(create, euis=True)
    mode = create.add_mutually_exclusive_group()
    mode.add_argument("--otaa", dest="abp", action="store_false", help="over-the-air activation (default)")
    mode.add_argument("--abp", dest="abp", action="store_true", help="activation by personalization")
    create.set_defaults(abp=False)
    create.add_argument("--dev-addr", type=flags.hex_bytes(4), help="DevAddr of an ABP device (hex)")
    for name in (*_SESSION_KEYS, "nwk_s_key"):
        create.add_argument("--" + name.replace("_", "-"), type=_KEY, help=f"ABP session key {name} (hex)")
    _field_flags(create, create=True)

    get = flags.leaf(devices, "get", "the device merged from the IS, JS, NS and AS", _get, ["info"])
    _ids_flags(get)
    get.add_argument("--with-keys", action="store_true", help="include root and session keys")

    listing = flags.leaf(devices, "list", "devices of an application (Identity Server)", _list, ["ls"])
    listing.add_argument("--application-id", help="the application id")
    listing.add_argument("--limit", type=int, default=0)
    listing.add_argument("--page", type=int, default=0)

    update = flags.leaf(devices, "update", "change fields, each in the registry that stores it", _update, ["set"])
    _ids_flags(update)
    _field_flags(update, create=False)

    delete = flags.leaf(devices, "delete", "delete from the AS, NS, JS, then the IS", _delete, ["remove", "rm"])
    _ids_flags(delete)

    flags.leaf(devices, "dev-addr", "a free DevAddr from the Network Server's prefixes", _dev_addr)
    downlink.register(devices)
