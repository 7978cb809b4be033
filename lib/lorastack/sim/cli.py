"""The ``lorastack-sim`` command line: parse options into SimSettings, run, print a table or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion
from lorastack.sim.provision import Endpoints
from lorastack.sim.runner import RunResult, SimSettings, run

__all__ = ["format_table", "main", "parse_args"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lorastack-sim", description="Virtual LoRaWAN gateways and end devices.")
    p.add_argument("--gateways", type=int, default=1)
    p.add_argument("--protocol", choices=("udp", "basicstation"), default="udp")
    p.add_argument("--devices", type=int, default=1)
    p.add_argument("--activation", choices=("otaa", "abp"), default="otaa")
    p.add_argument("--lorawan-version", choices=[v.value for v in LoRaWANVersion], default="1.0.3")
    p.add_argument("--class", dest="device_class", choices=("A", "C"), default="A")
    p.add_argument("--frequency-plan", default="EU_863_870")
    p.add_argument("--rate", type=float, default=0.1, help="uplinks per second (per device unless --rate-per total)")
    p.add_argument("--rate-per", choices=("device", "total"), default="device")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    p.add_argument("--confirmed-share", type=float, default=0.0, help="share of confirmed uplinks, 0..1")
    p.add_argument("--data-rate", type=int, default=None, help="initial data rate index (default: fastest)")
    p.add_argument("--payload-size", type=int, default=8)
    p.add_argument("--is", dest="is_address", default="127.0.0.1:1884", help="Identity Server gRPC address")
    p.add_argument("--js", default="127.0.0.1:5884", help="Join Server gRPC address")
    p.add_argument("--ns", default="127.0.0.1:3884", help="Network Server gRPC address")
    p.add_argument("--as", dest="as_address", default="127.0.0.1:4884", help="Application Server gRPC address")
    p.add_argument("--gs-udp", default="127.0.0.1:1700", help="Gateway Server Semtech UDP address")
    p.add_argument("--gs-lns", default="ws://127.0.0.1:1887", help="Gateway Server Basics Station LNS URL")
    p.add_argument("--api-key", default="", help="API key for provisioning and Basics Station links")
    p.add_argument("--application-id", default="lorastack-sim")
    p.add_argument("--owner", default="admin", help="user that owns created applications and gateways")
    p.add_argument("--no-provision", action="store_true", help="devices and gateways are registered already")
    p.add_argument("--prefix", default="sim", help="prefix of generated gateway and device ids")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return p


def parse_args(argv: Sequence[str] | None = None) -> tuple[SimSettings, bool]:
    args = _parser().parse_args(argv)
    if not 0.0 <= args.confirmed_share <= 1.0:
        raise SystemExit("--confirmed-share must be between 0 and 1")
    settings = SimSettings(
        gateways=args.gateways,
        protocol=args.protocol,
        devices=args.devices,
        activation=Activation(args.activation),
        version=LoRaWANVersion(args.lorawan_version),
        device_class=DeviceClass(args.device_class),
        frequency_plan_id=args.frequency_plan,
        rate=args.rate,
        rate_is_total=args.rate_per == "total",
        duration=args.duration,
        confirmed_share=args.confirmed_share,
        gs_udp=args.gs_udp,
        gs_lns=args.gs_lns,
        api_key=args.api_key,
        application_id=args.application_id,
        owner=args.owner,
        provision=not args.no_provision,
        endpoints=Endpoints(args.is_address, args.js, args.ns, args.as_address),
        prefix=args.prefix,
        seed=args.seed,
        data_rate=args.data_rate,
        payload_size=args.payload_size,
    )
    return settings, args.json


def format_table(summary: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = [
        ("elapsed (s)", str(summary["elapsed_seconds"])),
        ("devices joined", str(summary["devices_joined"])),
        ("uplinks/s", str(summary["uplinks_per_second"])),
    ]
    rows += [(f"device {k}", str(v)) for k, v in summary["devices"].items()]
    rows += [(f"gateway {k}", str(v)) for k, v in summary["gateways"].items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:>10}" for name, value in rows)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    settings, as_json = parse_args(argv)
    result: RunResult = asyncio.run(run(settings))
    summary = result.as_dict()
    out.write((json.dumps(summary, indent=2) if as_json else format_table(summary)) + "\n")
    return 0
