"""The lorastack-sim command line: options into settings, and a summary as a table or JSON."""

from __future__ import annotations

import io
import json

from lorastack.sim.cli import main, parse_args
from lorastack.sim.device.profile import Activation, DeviceClass, LoRaWANVersion


def test_options_become_settings() -> None:
    argv = "--gateways 3 --protocol basicstation --devices 50 --activation abp --lorawan-version 1.1 --class C"
    argv += " --frequency-plan US_902_928_FSB_2 --rate 20 --rate-per total --duration 5 --confirmed-share 0.25"
    argv += " --is is:1884 --gs-udp gs:1700 --gs-lns ws://gs:1887 --api-key K --application-id app --json"
    settings, as_json = parse_args(argv.split())
    assert as_json
    assert (settings.gateways, settings.protocol, settings.devices) == (3, "basicstation", 50)
    assert settings.activation is Activation.ABP and settings.version is LoRaWANVersion.V1_1
    assert settings.device_class is DeviceClass.C and settings.frequency_plan_id == "US_902_928_FSB_2"
    assert settings.per_device_rate == 20 / 50 and settings.confirmed_share == 0.25
    assert settings.endpoints.identity_server == "is:1884" and settings.gs_lns == "ws://gs:1887"
    assert (settings.api_key, settings.application_id, settings.provision) == ("K", "app", True)


def test_an_empty_run_prints_json_and_a_table() -> None:
    out = io.StringIO()
    assert main(["--gateways", "0", "--devices", "0", "--duration", "0", "--json"], out=out) == 0
    summary = json.loads(out.getvalue())
    assert summary["devices"]["uplinks"] == 0 and summary["gateways"]["uplinks"] == 0
    table = io.StringIO()
    main(["--gateways", "0", "--devices", "0", "--duration", "0"], out=table)
    assert "device uplinks" in table.getvalue() and "gateway downlinks_too_late" in table.getvalue()
