"""``lorastack simulate``: run the simulator (lorastack.sim) against the cluster the CLI is logged in to,
with the CLI's API key and addresses, optionally giving the application a default uplink formatter first."""

from __future__ import annotations

import argparse
from typing import Any

from lorastack.cli import flags
from lorastack.cli.config import CliConfig
from lorastack.cli.context import Session
from lorastack.cli.entity import caller_account
from lorastack.cli.errors import CliError
from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion
from lorastack.sim.provision import Endpoints, Provisioner
from lorastack.sim.runner import SimSettings, run
from ttn.lorawan.v3 import messages_pb2

__all__ = ["MAX_PAYLOAD", "gateway_addresses", "payload_hex", "register", "settings_from"]

# The largest FRMPayload any region allows (LoRaWAN Regional Parameters, maximum N at the fastest rates).
MAX_PAYLOAD = 242
SEMTECH_UDP_PORT = 1700
BASICS_STATION_PORT = 1887


def payload_hex(text: str) -> bytes:
    """An argparse type: 1 to MAX_PAYLOAD bytes written as hex."""
    try:
        value = bytes.fromhex(text.replace(":", "").replace(" ", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None
    if not 0 < len(value) <= MAX_PAYLOAD:
        raise argparse.ArgumentTypeError(f"{text!r} is {len(value)} bytes, want 1 to {MAX_PAYLOAD}")
    return value


def gateway_addresses(config: CliConfig, udp: str | None, lns: str | None) -> tuple[str, str]:
    """The GS's Semtech UDP address and LNS URL: given ones, else the host of its gRPC address with the
    standard ports (design.md section 6), so that `login --cluster` is all a remote cluster needs."""
    host = config.address("gs").rpartition(":")[0] or "127.0.0.1"
    return udp or f"{host}:{SEMTECH_UDP_PORT}", lns or f"ws://{host}:{BASICS_STATION_PORT}"


def settings_from(args: argparse.Namespace, config: CliConfig, owner: str) -> SimSettings:
    """The simulator's settings from the command line, with the CLI's key and addresses."""
    if not config.api_key and not args.no_provision:
        raise CliError("not logged in: run `lorastack login --api-key ...` first (or give --no-provision)")
    if not 0.0 <= args.confirmed_share <= 1.0:
        raise CliError("--confirmed-share must be between 0 and 1")
    if args.devices < 1 or args.gateways < 1:
        raise CliError("--devices and --gateways must be at least 1")
    udp, lns = gateway_addresses(config, args.gs_udp, args.gs_lns)
    return SimSettings(
        gateways=args.gateways,
        protocol=args.protocol,
        devices=args.devices,
        activation=Activation(args.activation),
        version=LoRaWANVersion(args.lorawan_version),
        device_class=DeviceClass(args.device_class),
        frequency_plan_id=args.frequency_plan_id,
        rate=args.rate,
        duration=args.duration,
        confirmed_share=args.confirmed_share,
        gs_udp=udp,
        gs_lns=lns,
        api_key=config.api_key,
        application_id=flags.require(args.application_id, "--application-id"),
        owner=owner,
        provision=not args.no_provision,
        endpoints=Endpoints(config.address("is"), config.address("js"), config.address("ns"), config.address("as")),
        prefix=args.prefix or args.application_id,
        seed=args.seed,
        data_rate=args.data_rate,
        payload_size=len(args.payload) if args.payload is not None else args.payload_size,
        payload=args.payload,
    )


async def _owner(args: argparse.Namespace, session: Session) -> str:
    if args.owner or args.no_provision or not session.config.api_key:
        return str(args.owner or "")  # without a key, settings_from says what is missing
    account = await caller_account(session)
    if not account.HasField("user_ids"):
        raise CliError("the API key belongs to an organization: give --owner USER-ID")
    return str(account.user_ids.user_id)


async def _set_default_formatter(args: argparse.Namespace, settings: SimSettings, session: Session) -> None:
    """The application must exist before the AS takes its link; the simulator would create it anyway."""
    provisioner = Provisioner(settings.endpoints, settings.api_key, settings.application_id, owner=settings.owner)
    try:
        await provisioner.ensure_application()
    finally:
        await provisioner.close()
    method = "As/SetLink"
    request = session.client.request(method)
    request.link.default_formatters.up_formatter = messages_pb2.PayloadFormatter.Value(args.up_formatter)
    request.link.default_formatters.up_formatter_parameter = args.up_formatter_parameter or ""
    request.application_ids.application_id = settings.application_id
    request.field_mask.paths.append("default_formatters")
    await session.client.call(method, request)
    session.out.note(f"application {settings.application_id}: default uplink formatter {args.up_formatter}")


async def _uplinks(args: argparse.Namespace, session: Session) -> None:
    settings = settings_from(args, session.config, await _owner(args, session))
    if args.up_formatter is not None:
        await _set_default_formatter(args, settings, session)
    session.out.note(
        f"simulating {settings.devices} device(s) behind {settings.gateways} {settings.protocol} gateway(s) "
        f"for {settings.duration:g}s ..."
    )
    result = await run(settings)
    summary: dict[str, Any] = result.as_dict()
    session.out.value(summary)


def _add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--application-id", help="the application (created when missing)")
    parser.add_argument("--devices", type=int, default=1, help="end devices (default 1)")
    parser.add_argument("--gateways", type=int, default=1, help="gateways every device reaches (default 1)")
    parser.add_argument("--protocol", choices=("udp", "basicstation"), default="udp", help="gateway protocol")
    parser.add_argument("--activation", choices=[a.value for a in Activation], default="otaa")
    parser.add_argument("--lorawan-version", choices=[v.value for v in LoRaWANVersion], default="1.0.3")
    parser.add_argument("--class", dest="device_class", choices=[c.value for c in DeviceClass], default="A")
    parser.add_argument("--frequency-plan-id", default="EU_863_870")
    parser.add_argument("--rate", type=float, default=0.2, help="uplinks per second per device (default 0.2)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of traffic (default 30)")
    parser.add_argument("--confirmed-share", type=float, default=0.0, help="share of confirmed uplinks, 0..1")
    parser.add_argument("--data-rate", type=int, help="initial data rate index (default: the fastest)")
    parser.add_argument("--payload", type=payload_hex, help="FRMPayload of every uplink (hex); default: random")
    parser.add_argument("--payload-size", type=int, default=8, help="size of the random payloads (default 8)")
    formats = [v.name for v in messages_pb2.PayloadFormatter.DESCRIPTOR.values]
    parser.add_argument(
        "--up-formatter", choices=formats, help="first make this the application's default uplink formatter"
    )
    parser.add_argument("--up-formatter-parameter", help="e.g. the JavaScript source of the formatter")
    parser.add_argument("--owner", help="user owning what is created (default: the API key's user)")
    parser.add_argument("--prefix", help="prefix of gateway and device ids (default: the application id)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated EUIs and keys")
    parser.add_argument("--no-provision", action="store_true", help="gateways and devices are registered already")
    parser.add_argument("--gs-udp", metavar="HOST:PORT", help="Semtech UDP address (default: the GS host, 1700)")
    parser.add_argument("--gs-lns", metavar="URL", help="Basics Station LNS URL (default: ws://GS host:1887)")


def register(sub: flags.SubParsers) -> None:
    simulate = flags.group(sub, "simulate", "virtual gateways and end devices driving the cluster", ["sim"])
    uplinks = flags.leaf(
        simulate,
        "uplinks",
        "register gateways and devices, join, send uplinks for --duration seconds, print the counts",
        _uplinks,
        ["up"],
    )
    _add_flags(uplinks)
