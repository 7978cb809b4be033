"""Field mask helpers (google.protobuf.FieldMask semantics) shared by every registry.

Paths are proto field names joined by dots; a path may go through singular message fields only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TypeVar, cast

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from lorastack.errors import define

__all__ = [
    "ERR_FIELD_MASK_PATH_NOT_ALLOWED",
    "ERR_INVALID_FIELD_MASK_PATH",
    "apply",
    "select",
    "top_level",
    "validate_paths",
]

ERR_INVALID_FIELD_MASK_PATH = define(
    "pkg/fieldmask",
    "invalid_field_mask_path",
    "invalid field mask path `{path}`",
    grpc.StatusCode.INVALID_ARGUMENT,
)
ERR_FIELD_MASK_PATH_NOT_ALLOWED = define(
    "pkg/fieldmask",
    "field_mask_path_not_allowed",
    "field mask path `{path}` is not allowed",
    grpc.StatusCode.INVALID_ARGUMENT,
)

M = TypeVar("M", bound=Message)


def _is_map(field: FieldDescriptor) -> bool:
    msg = field.message_type
    return msg is not None and msg.GetOptions().map_entry


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _path_exists(descriptor: Descriptor, path: str) -> bool:
    current: Descriptor | None = descriptor
    parts = path.split(".")
    for index, part in enumerate(parts):
        if current is None or not part:
            return False
        field = current.fields_by_name.get(part)
        if field is None:
            return False
        last = index == len(parts) - 1
        if not last:
            # Only a singular sub-message can be descended into; a list or map has no single child.
            if field.message_type is None or _is_repeated(field):
                return False
            current = field.message_type
    return True


def _is_allowed(path: str, allowed: Collection[str]) -> bool:
    return any(path == a or path.startswith(a + ".") for a in allowed)


def validate_paths(descriptor: Descriptor, paths: Iterable[str], allowed: Collection[str] | None = None) -> list[str]:
    """Check that every path names a field of ``descriptor`` (and is allowed); return them deduplicated."""
    seen: dict[str, None] = {}
    for path in paths:
        if not _path_exists(descriptor, path):
            raise ERR_INVALID_FIELD_MASK_PATH(path=path)
        if allowed is not None and not _is_allowed(path, allowed):
            raise ERR_FIELD_MASK_PATH_NOT_ALLOWED(path=path)
        seen.setdefault(path, None)
    return list(seen)


def top_level(paths: Iterable[str]) -> set[str]:
    """The first component of every path."""
    return {p.split(".", 1)[0] for p in paths}


def _group(paths: Iterable[str]) -> dict[str, list[str]]:
    # Maps a top-level name to its sub-paths; an empty list means "the whole field".
    groups: dict[str, list[str]] = {}
    whole: set[str] = set()
    for path in paths:
        head, _, rest = path.partition(".")
        if not rest:
            whole.add(head)
            groups[head] = []
        elif head not in whole:
            groups.setdefault(head, []).append(rest)
    return groups


def _copy_field(src: Message, dst: Message, field: FieldDescriptor) -> None:
    name = field.name
    if _is_repeated(field):
        dst.ClearField(name)
        container = getattr(dst, name)
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            if entry.fields_by_name["value"].message_type is not None:
                for key, value in getattr(src, name).items():
                    container[key].CopyFrom(value)
            else:
                container.update(getattr(src, name))
        else:
            container.extend(getattr(src, name))
        return
    if field.has_presence and not src.HasField(name):
        dst.ClearField(name)
        return
    if field.message_type is not None:
        getattr(dst, name).CopyFrom(getattr(src, name))
    else:
        setattr(dst, name, getattr(src, name))


def apply(src: Message, dst: Message, paths: Iterable[str]) -> None:
    """Copy the fields that ``paths`` name from ``src`` into ``dst``; other fields of ``dst`` stay."""
    descriptor = cast(Descriptor, src.DESCRIPTOR)
    for head, rest in _group(paths).items():
        field: FieldDescriptor | None = descriptor.fields_by_name.get(head)
        if field is None:
            raise ERR_INVALID_FIELD_MASK_PATH(path=head)
        if not rest:
            _copy_field(src, dst, field)
            continue
        if field.message_type is None or _is_repeated(field):
            raise ERR_INVALID_FIELD_MASK_PATH(path=f"{head}.{rest[0]}")
        if src.HasField(head):
            apply(getattr(src, head), getattr(dst, head), rest)
        elif dst.HasField(head):
            # The source has nothing under this parent: the masked children become empty in dst too.
            apply(type(getattr(src, head))(), getattr(dst, head), rest)


def select(msg: M, paths: Iterable[str]) -> M:
    """A new message of the same type holding only the fields that ``paths`` name."""
    out = type(msg)()
    apply(msg, out, paths)
    return out
