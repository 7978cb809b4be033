"""Tests of lorastack.fieldmask against well-known proto3 and proto2 messages."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import api_pb2, descriptor_pb2, source_context_pb2, struct_pb2, type_pb2

from lorastack import fieldmask
from lorastack.errors import LorastackError


def _api() -> api_pb2.Api:
    return api_pb2.Api(
        name="things",
        version="v1",
        methods=[api_pb2.Method(name="Get")],
        source_context=source_context_pb2.SourceContext(file_name="things.proto"),
        syntax=type_pb2.SYNTAX_PROTO3,
    )


def test_validate_accepts_top_level_and_nested_paths() -> None:
    paths = fieldmask.validate_paths(api_pb2.Api.DESCRIPTOR, ["name", "source_context.file_name", "name"])
    assert paths == ["name", "source_context.file_name"]


@pytest.mark.parametrize(
    "path",
    ["nope", "source_context.nope", "name.length", "methods.name", "", "source_context.", ".name"],
)
def test_validate_rejects_unknown_paths(path: str) -> None:
    with pytest.raises(LorastackError) as info:
        fieldmask.validate_paths(api_pb2.Api.DESCRIPTOR, ["name", path])
    err = info.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.definition.namespace == "pkg/fieldmask"
    assert err.definition.name == "invalid_field_mask_path"
    assert err.attributes == {"path": path}
    assert f"`{path}`" in err.message


def test_validate_allowed_paths() -> None:
    allowed = {"name", "source_context"}
    assert fieldmask.validate_paths(api_pb2.Api.DESCRIPTOR, ["source_context.file_name"], allowed) == [
        "source_context.file_name"
    ]
    with pytest.raises(LorastackError) as info:
        fieldmask.validate_paths(api_pb2.Api.DESCRIPTOR, ["version"], allowed)
    assert info.value.definition.name == "field_mask_path_not_allowed"


def test_top_level() -> None:
    assert fieldmask.top_level(["a.b", "a.c", "d"]) == {"a", "d"}


def test_apply_copies_only_masked_fields() -> None:
    src = _api()
    dst = api_pb2.Api(name="old", version="v0", mixins=[api_pb2.Mixin(name="m")])
    fieldmask.apply(src, dst, ["name", "methods", "source_context"])
    assert dst.name == "things"
    assert dst.version == "v0"
    assert [m.name for m in dst.methods] == ["Get"]
    assert dst.source_context.file_name == "things.proto"
    assert [m.name for m in dst.mixins] == ["m"]


def test_apply_replaces_repeated_and_clears_unset() -> None:
    src = api_pb2.Api()
    dst = _api()
    fieldmask.apply(src, dst, ["methods", "source_context", "name"])
    assert len(dst.methods) == 0
    assert not dst.HasField("source_context")
    assert dst.name == ""
    assert dst.version == "v1"


def test_apply_nested_path_does_not_create_parent_when_absent() -> None:
    dst = api_pb2.Api()
    fieldmask.apply(api_pb2.Api(), dst, ["source_context.file_name"])
    assert not dst.HasField("source_context")
    fieldmask.apply(_api(), dst, ["source_context.file_name"])
    assert dst.source_context.file_name == "things.proto"
    fieldmask.apply(api_pb2.Api(), dst, ["source_context.file_name"])
    assert dst.source_context.file_name == ""


def test_apply_maps_and_oneofs() -> None:
    src = struct_pb2.Struct()
    src.update({"a": 1, "b": "x"})
    dst = struct_pb2.Struct()
    dst.update({"c": True})
    fieldmask.apply(src, dst, ["fields"])
    assert dict(dst) == {"a": 1, "b": "x"}

    value = struct_pb2.Value(string_value="x")
    target = struct_pb2.Value(number_value=3)
    fieldmask.apply(value, target, ["string_value"])
    assert target.WhichOneof("kind") == "string_value"
    fieldmask.apply(struct_pb2.Value(), target, ["string_value"])
    assert target.WhichOneof("kind") is None


def test_apply_proto2_presence() -> None:
    src = descriptor_pb2.FieldDescriptorProto(name="f", number=0)
    dst = descriptor_pb2.FieldDescriptorProto(number=7, json_name="x")
    fieldmask.apply(src, dst, ["number", "json_name"])
    assert dst.HasField("number") and dst.number == 0
    assert not dst.HasField("json_name")


def test_select_keeps_only_paths() -> None:
    out = fieldmask.select(_api(), ["name", "source_context.file_name"])
    assert out == api_pb2.Api(name="things", source_context=source_context_pb2.SourceContext(file_name="things.proto"))


def test_apply_rejects_bad_path() -> None:
    with pytest.raises(LorastackError):
        fieldmask.apply(_api(), api_pb2.Api(), ["name.x"])
