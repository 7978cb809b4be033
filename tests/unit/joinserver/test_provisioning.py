"""Provision planning without storage: the ``json`` provisioner and the rules that refuse a request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from joinserver.provision import Provisioning
from joinserver.provisioning import EntryError, JsonProvisioner, Provisioners, default_provisioners
from joinserver.store import Change, Update
from lorastack.errors import LorastackError
from ttn.lorawan.v3 import end_device_pb2, identifiers_pb2, joinserver_pb2

H = bytes.fromhex
JOIN_EUI = H("70B3D57ED0000001")


class NoStore:
    """Planning must never reach the store."""

    async def get(self, application_id: str, device_id: str) -> end_device_pb2.EndDevice | None:
        raise AssertionError("planning read the store")

    async def get_by_eui(self, join_eui: bytes, dev_eui: bytes) -> end_device_pb2.EndDevice | None:
        raise AssertionError("planning read the store")

    async def get_by_dev_eui(self, dev_eui: bytes) -> list[end_device_pb2.EndDevice]:
        raise AssertionError("planning read the store")

    async def update(self, application_id: str, device_id: str, fn: Update) -> Change:
        raise AssertionError("planning wrote the store")

    async def create_many(self, devices: Sequence[end_device_pb2.EndDevice]) -> None:
        raise AssertionError("planning wrote the store")


def _data(*entries: dict[str, Any]) -> bytes:
    return json.dumps(list(entries)).encode()


def _request(data: bytes, *, provisioner_id: str = "json", **form: Any) -> joinserver_pb2.ProvisionEndDevicesRequest:
    request = joinserver_pb2.ProvisionEndDevicesRequest(provisioner_id=provisioner_id, provisioning_data=data, **form)
    request.application_ids.application_id = "app-1"
    return request


def _listed(*ids: tuple[str, str], join_eui: bytes = JOIN_EUI) -> dict[str, Any]:
    items = [identifiers_pb2.EndDeviceIdentifiers(device_id=d, dev_eui=H(e)) for d, e in ids]
    return {"list": joinserver_pb2.ProvisionEndDevicesRequest.IdentifiersList(join_eui=join_eui, end_device_ids=items)}


def _plan(request: joinserver_pb2.ProvisionEndDevicesRequest) -> list[end_device_pb2.EndDevice]:
    return Provisioning(NoStore(), default_provisioners()).plan(request)


def _error_name(request: joinserver_pb2.ProvisionEndDevicesRequest) -> str:
    with pytest.raises(LorastackError) as caught:
        _plan(request)
    return caught.value.definition.name


def test_json_provisioner_reads_identifiers_and_keeps_the_rest() -> None:
    provisioner = JsonProvisioner()
    [entry] = provisioner.decode(_data({"dev_eui": "0004A30B001C0530", "batch": 7, "serial": "SN-1"}))
    assert provisioner.dev_eui(entry) == H("0004A30B001C0530")
    assert provisioner.device_id(JOIN_EUI, H("0004A30B001C0530"), entry) == "eui-0004a30b001c0530"
    assert provisioner.unique_id(entry) == "0004A30B001C0530"
    assert entry.fields["serial"].string_value == "SN-1"
    with pytest.raises(EntryError):
        provisioner.join_eui(entry)


@pytest.mark.parametrize(
    "data",
    [b"\xff", b"{}", b"[1]", b"not json", _data({"dev_eui": "01" * 8, "app_key": "00" * 16})],
)
def test_json_provisioner_refuses_bad_data(data: bytes) -> None:
    with pytest.raises(EntryError):
        JsonProvisioner().decode(data)


def test_list_form_takes_ids_from_the_request_and_data_from_the_entries() -> None:
    request = _request(
        _data({"serial": "a"}, {"serial": "b"}), **_listed(("dev-a", "0000000000000001"), ("dev-b", "0000000000000002"))
    )
    devices = _plan(request)
    assert [d.ids.device_id for d in devices] == ["dev-a", "dev-b"]
    assert all(d.ids.join_eui == JOIN_EUI and d.ids.application_ids.application_id == "app-1" for d in devices)
    assert [d.provisioning_data.fields["serial"].string_value for d in devices] == ["a", "b"]
    assert all(d.provisioner_id == "json" and not d.HasField("root_keys") for d in devices)


def test_range_form_counts_dev_euis_up_from_the_start() -> None:
    span = joinserver_pb2.ProvisionEndDevicesRequest.IdentifiersRange(
        join_eui=JOIN_EUI, start_dev_eui=H("00000000000000FF")
    )
    devices = _plan(_request(_data({"unique_id": "x"}, {"unique_id": "y"}, {"unique_id": "z"}), range=span))
    assert [d.ids.dev_eui.hex().upper() for d in devices] == [
        "00000000000000FF",
        "0000000000000100",
        "0000000000000101",
    ]
    assert [d.ids.device_id for d in devices] == [
        "eui-00000000000000ff",
        "eui-0000000000000100",
        "eui-0000000000000101",
    ]


def test_from_data_form_asks_the_provisioner() -> None:
    from_data = joinserver_pb2.ProvisionEndDevicesRequest.IdentifiersFromData()
    data = _data({"dev_eui": "0102030405060708", "join_eui": "1112131415161718", "device_id": "meter-1"})
    [device] = _plan(_request(data, from_data=from_data))
    assert device.ids.dev_eui == H("0102030405060708")
    assert device.ids.join_eui == H("1112131415161718")
    assert device.ids.device_id == "meter-1"
    # A JoinEUI in the request wins over the entry's.
    from_data.join_eui = JOIN_EUI
    [device] = _plan(_request(data, from_data=from_data))
    assert device.ids.join_eui == JOIN_EUI


FROM_DATA: dict[str, Any] = {
    "from_data": joinserver_pb2.ProvisionEndDevicesRequest.IdentifiersFromData(join_eui=JOIN_EUI)
}


@pytest.mark.parametrize(
    ("request_", "name"),
    [
        (_request(_data(), provisioner_id="microchip", **FROM_DATA), "provisioner_not_found"),
        (_request(_data()), "no_end_devices"),
        (_request(b"{", **FROM_DATA), "provisioner_decode"),
        (_request(_data({}), **_listed(("dev-a", "01" * 8), ("dev-b", "02" * 8))), "provision_entry_count"),
        (_request(_data({}, {}, {}), **_listed(("dev-a", "01" * 8), ("dev-b", "02" * 8))), "provision_entry_count"),
        (_request(_data({"dev_eui": "01" * 8}, {"device_id": "x-2"}), **FROM_DATA), "invalid_provisioning_entry"),
        (_request(_data({"dev_eui": "00" * 8}), **FROM_DATA), "invalid_provisioning_entry"),
        (_request(_data({"dev_eui": "01" * 8, "device_id": "Bad_ID"}), **FROM_DATA), "invalid_provisioning_entry"),
        (_request(_data({}), **_listed(("dev-a", "0102"))), "invalid_provisioning_entry"),
        (
            _request(_data({"dev_eui": "01" * 8}, {"dev_eui": "01" * 8, "device_id": "other"}), **FROM_DATA),
            "duplicate_provisioning_entry",
        ),
        (
            _request(
                _data({"dev_eui": "01" * 8, "device_id": "dd"}, {"dev_eui": "02" * 8, "device_id": "dd"}), **FROM_DATA
            ),
            "duplicate_provisioning_entry",
        ),
        (
            _request(
                _data({"unique_id": "se-1"}, {"unique_id": "se-1"}), **_listed(("d-1", "01" * 8), ("d-2", "02" * 8))
            ),
            "duplicate_provisioning_entry",
        ),
        (
            _request(
                _data({"unique_id": "a"}, {"unique_id": "b"}),
                range=joinserver_pb2.ProvisionEndDevicesRequest.IdentifiersRange(
                    join_eui=JOIN_EUI, start_dev_eui=H("FF" * 8)
                ),
            ),
            "invalid_provisioning_entry",
        ),
    ],
)
def test_refusals(request_: joinserver_pb2.ProvisionEndDevicesRequest, name: str) -> None:
    assert _error_name(request_) == name


def test_a_listed_device_of_another_application_is_refused() -> None:
    request = _request(_data({}), **_listed(("dev-a", "01" * 8)))
    request.list.end_device_ids[0].application_ids.application_id = "app-2"
    assert _error_name(request) == "invalid_provisioning_entry"


def test_registry_lookup() -> None:
    provisioners = Provisioners({"json": JsonProvisioner()})
    assert provisioners.get("json") is not None and provisioners.get("other") is None
    assert provisioners.ids() == ["json"]
