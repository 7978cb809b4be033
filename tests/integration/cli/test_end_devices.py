"""``lorastack end-devices`` against the real cluster: registration in the four registries (seed 001),
the merged get, updates routed per registry, rollback when the NS refuses, deletion, and downlinks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from integration.cli.clirunner import Cli, logged_in_cli
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

APP_KEY = "2B7E151628AED2A6ABF7158809CF4F3C"
_SERVICES = {"js": "JsEndDeviceRegistry", "ns": "NsEndDeviceRegistry", "as": "AsEndDeviceRegistry"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cli(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cli]:
    async for running in logged_in_cli(tmp_path_factory.mktemp("cli")):
        await running.run("applications", "create", "--application-id", "fleet")
        yield running


async def registry_code(cli: Cli, role: str, device_id: str) -> grpc.StatusCode:
    """What the role's own registry answers for the device, asked directly over gRPC."""
    request = end_device_pb2.GetEndDeviceRequest(
        end_device_ids=identifiers_pb2.EndDeviceIdentifiers(
            device_id=device_id, application_ids=identifiers_pb2.ApplicationIdentifiers(application_id="fleet")
        )
    )
    method = f"/ttn.lorawan.v3.{_SERVICES[role]}/Get"
    async with grpc.aio.insecure_channel(cli.cluster.roles[role].grpc_target) as channel:
        call = channel.unary_unary(
            method,
            request_serializer=end_device_pb2.GetEndDeviceRequest.SerializeToString,
            response_deserializer=end_device_pb2.EndDevice.FromString,
        )
        try:
            await call(request, metadata=(("authorization", f"Bearer {cli.api_key}"),), timeout=10)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


def _eui() -> str:
    return "70B3D57E" + uuid.uuid4().hex[:8].upper()


async def test_otaa_device_is_registered_everywhere_and_merged_on_get(cli: Cli) -> None:
    dev_eui = _eui()
    created = await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "otaa-1", "--dev-eui", dev_eui,
        "--join-eui", "0000000000000042", "--app-key", APP_KEY, "--name", "Sensor", "--lorawan-version", "1.0.2",
    )  # fmt: skip
    device = created.json
    assert device["ids"]["dev_eui"] == dev_eui and device["supports_join"] is True
    # Defaults: the plan and the PHY version that goes with 1.0.2.
    assert device["frequency_plan_id"] == "EU_863_870"
    assert (device["lorawan_version"], device["lorawan_phy_version"]) == ("MAC_V1_0_2", "PHY_V1_0_2_REV_B")
    for role in ("js", "ns", "as"):
        assert await registry_code(cli, role, "otaa-1") == grpc.StatusCode.OK, role

    merged = (
        await cli.run("end-devices", "get", "--application-id", "fleet", "--device-id", "otaa-1", "--with-keys")
    ).json
    assert merged["name"] == "Sensor"  # IS
    assert merged["root_keys"]["app_key"]["key"] == APP_KEY  # JS
    assert merged["frequency_plan_id"] == "EU_863_870"  # NS
    assert merged["join_server_address"] == cli.cluster.roles["js"].grpc_target  # IS, from the login config
    plain = (await cli.run("end-devices", "get", "--application-id", "fleet", "--device-id", "otaa-1")).json
    assert "root_keys" not in plain


async def test_update_goes_to_the_registry_that_stores_each_field(cli: Cli) -> None:
    await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "otaa-2", "--dev-eui", _eui(),
        "--app-key", APP_KEY,
    )  # fmt: skip
    updated = await cli.run(
        "end-devices", "update", "--application-id", "fleet", "--device-id", "otaa-2",
        "--name", "Renamed", "--supports-class-c", "--app-key", "00" * 16,
    )  # fmt: skip
    assert updated.json["name"] == "Renamed" and updated.json["supports_class_c"] is True
    keys = (
        await cli.run("end-devices", "get", "--application-id", "fleet", "--device-id", "otaa-2", "--with-keys")
    ).json
    assert keys["root_keys"]["app_key"]["key"] == "00" * 16
    listed = (await cli.run("end-devices", "list", "--application-id", "fleet")).json
    assert "otaa-2" in {d["ids"]["device_id"] for d in listed}


async def test_a_refused_registration_is_rolled_back(cli: Cli) -> None:
    # The NS refuses an unknown frequency plan after the IS and JS accepted the device.
    result = await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "doomed", "--dev-eui", _eui(),
        "--app-key", APP_KEY, "--frequency-plan-id", "NO_SUCH_PLAN",
        ok=False,
    )  # fmt: skip
    assert result.code == 1 and result.stdout == ""
    assert "registration failed at the Network Server" in result.stderr
    assert "removed from the Join Server" in result.stderr and "removed from the Identity Server" in result.stderr
    assert "INVALID_ARGUMENT" in result.stderr and "NO_SUCH_PLAN" in result.stderr
    gone = await cli.run("end-devices", "get", "--application-id", "fleet", "--device-id", "doomed", ok=False)
    assert gone.code == 1 and "NOT_FOUND" in gone.stderr
    for role in ("js", "ns", "as"):
        assert await registry_code(cli, role, "doomed") == grpc.StatusCode.NOT_FOUND, role
    # The same ids are free again.
    await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "doomed", "--dev-eui", _eui(),
        "--app-key", APP_KEY,
    )  # fmt: skip


async def test_abp_device_with_generated_keys_and_its_downlink_queue(cli: Cli) -> None:
    created = await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "abp-1", "--abp",
        "--dev-addr", "260B0A01", "--lorawan-version", "1.0.3",
    )  # fmt: skip
    device = created.json
    assert "supports_join" not in device and device["session"]["dev_addr"] == "260B0A01"
    assert len(device["session"]["keys"]["app_s_key"]["key"]) == 32  # generated, shown once
    assert "generated one" in created.stderr
    assert await registry_code(cli, "js", "abp-1") == grpc.StatusCode.NOT_FOUND  # ABP skips the JS

    ids = ("--application-id", "fleet", "--device-id", "abp-1")
    await cli.run("end-devices", "downlink", "push", *ids, "--f-port", "7", "--frm-payload", "CAFE")
    await cli.run("end-devices", "downlink", "push", *ids, "--f-port", "8", "--frm-payload", "BEEF")
    queued = (await cli.run("end-devices", "downlink", "list", *ids)).json
    assert [d["f_port"] for d in queued] == [7, 8]
    await cli.run("end-devices", "downlink", "replace", *ids, "--f-port", "9", "--frm-payload", "01")
    assert [d["f_port"] for d in (await cli.run("end-devices", "downlink", "list", *ids)).json] == [9]
    await cli.run("end-devices", "downlink", "replace", *ids, "--clear")
    assert (await cli.run("end-devices", "downlink", "list", *ids)).json == []


async def test_delete_removes_the_device_from_every_registry(cli: Cli) -> None:
    await cli.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "short-lived", "--dev-eui", _eui(),
        "--app-key", APP_KEY,
    )  # fmt: skip
    deleted = await cli.run("end-devices", "delete", "--application-id", "fleet", "--device-id", "short-lived")
    order = [line for line in deleted.stderr.splitlines() if line.startswith("removed from")]
    assert order == [
        "removed from the Application Server",
        "removed from the Network Server",
        "removed from the Join Server",
    ]
    for role in ("js", "ns", "as"):
        assert await registry_code(cli, role, "short-lived") == grpc.StatusCode.NOT_FOUND, role
    again = await cli.run("end-devices", "delete", "--application-id", "fleet", "--device-id", "short-lived", ok=False)
    assert again.code == 1 and "NOT_FOUND" in again.stderr


async def test_a_registry_answering_unimplemented_is_reported_and_rolled_back(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An "AS" that does not serve AsEndDeviceRegistry (here: the IS's address) stands for a role whose
    # registry has not landed: the operator sees UNIMPLEMENTED and the three earlier registrations are undone.
    elsewhere = Cli(cli.cluster, tmp_path / "config.json")
    addresses = cli.addresses()
    addresses[addresses.index("--as") + 1] = cli.cluster.roles["is"].grpc_target
    await elsewhere.run("login", "--api-key", cli.api_key, *addresses)
    result = await elsewhere.run(
        "end-devices", "create", "--application-id", "fleet", "--device-id", "no-as", "--dev-eui", _eui(),
        "--app-key", APP_KEY,
        ok=False,
    )  # fmt: skip
    assert result.code == 1
    assert "registration failed at the Application Server" in result.stderr
    assert "error: UNIMPLEMENTED" in result.stderr and "Traceback" not in result.stderr
    removed = [line for line in result.stderr.splitlines() if line.startswith("removed from")]
    assert removed == [
        "removed from the Network Server",
        "removed from the Join Server",
        "removed from the Identity Server",
    ]
    for role in ("js", "ns"):
        assert await registry_code(cli, role, "no-as") == grpc.StatusCode.NOT_FOUND, role
