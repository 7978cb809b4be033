"""Tests of reading google.api.http rules from descriptor pools."""

from __future__ import annotations

from types import ModuleType

from google.protobuf import descriptor_pb2, descriptor_pool

from lorastack.httpapi.rules import RouteTable, bindings_for, services_with_rules

SERVICE = "lorastack.test.v1.DeviceRegistry"


def test_services_with_rules_finds_loaded_modules(pb: ModuleType) -> None:
    names = services_with_rules(descriptor_pool.Default())
    assert SERVICE in names and "lorastack.test.v1.Unreachable" in names


def test_bindings_include_additional_bindings(pb: ModuleType) -> None:
    bindings = bindings_for(descriptor_pool.Default(), [SERVICE])
    by_op = {b.operation_id: b for b in bindings}
    assert by_op["DeviceRegistry_Get"].http_method == "GET"
    assert by_op["DeviceRegistry_Get1"].template.template == "/api/v3/devices/by-eui/{end_device_ids.dev_eui}"
    assert by_op["DeviceRegistry_Set1"].http_method == "POST" and by_op["DeviceRegistry_Set1"].body == "*"
    assert by_op["DeviceRegistry_Update"].body == "end_device"
    assert by_op["DeviceRegistry_Stream"].server_streaming
    assert by_op["DeviceRegistry_Get"].grpc_path == f"/{SERVICE}/Get"
    assert not any(b.method.name == "Hidden" for b in bindings)


def test_rules_from_a_separate_pool(pb: ModuleType) -> None:
    # A pool built from serialized files, as a process holding several API versions would have.
    pool = descriptor_pool.DescriptorPool()
    seen: set[str] = set()

    def add(file: object) -> None:
        name = file.name  # type: ignore[attr-defined]
        if name in seen:
            return
        seen.add(name)
        for dependency in file.dependencies:  # type: ignore[attr-defined]
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)  # type: ignore[attr-defined]
        pool.Add(proto)

    add(pb.DESCRIPTOR)
    bindings = bindings_for(pool, [SERVICE])
    assert len(bindings) == len(bindings_for(descriptor_pool.Default(), [SERVICE]))
    table = RouteTable(bindings)
    binding, variables, known = table.lookup("GET", "/api/v3/applications/a/devices/d")
    assert binding is not None and binding.method.name == "Get" and known
    assert variables == {"end_device_ids.application_ids.application_id": "a", "end_device_ids.device_id": "d"}
    assert table.lookup("GET", "/api/v3/elsewhere") == (None, {}, False)
    assert table.allowed_methods("/api/v3/applications/a/devices/d") == ["GET", "PUT"]
