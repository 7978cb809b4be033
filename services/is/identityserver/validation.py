"""Input checks shared by every registry: identifiers, EUIs, addresses, text sizes, attributes.

Identifiers follow The Things Stack's rule: 3 to 36 lower-case letters or digits,
dashes allowed only between two of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from identityserver import errors

__all__ = [
    "MAX_ATTRIBUTES",
    "check_address",
    "check_attributes",
    "check_eui",
    "check_id",
    "check_text",
    "is_valid_id",
]

_ID = re.compile(r"^[a-z0-9](?:-?[a-z0-9]){2,35}$")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$"
)
MAX_ATTRIBUTES = 10
MAX_ATTRIBUTE_VALUE = 200
MAX_NAME = 50
MAX_DESCRIPTION = 2000


def is_valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def check_id(value: str, field: str) -> str:
    if not is_valid_id(value):
        raise errors.invalid_identifier(field=field, value=value[:40])
    return value


def check_eui(value: bytes, field: str, *, required: bool = False) -> bytes | None:
    """An optional 8-byte EUI; empty means unset unless ``required``."""
    if not value and not required:
        return None
    if len(value) != 8:
        raise errors.invalid_eui(field=field)
    return value


def check_address(value: str, field: str) -> None:
    if value and (len(value) > 256 or not _HOST.match(value)):
        raise errors.invalid_address(field=field, value=value[:64])


def check_text(value: str, field: str, limit: int) -> None:
    if len(value) > limit:
        raise errors.field_too_long(field=field, limit=limit)


def check_attributes(attributes: Mapping[str, str]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise errors.too_many_attributes(limit=MAX_ATTRIBUTES)
    for key, value in attributes.items():
        if not is_valid_id(key):
            raise errors.invalid_attribute(key=key[:40], reason="keys follow the identifier rule")
        if len(value) > MAX_ATTRIBUTE_VALUE:
            raise errors.invalid_attribute(key=key, reason=f"values have at most {MAX_ATTRIBUTE_VALUE} characters")


def check_common(name: str, description: str, attributes: Mapping[str, str]) -> None:
    """The name, description and attributes every entity has."""
    check_text(name, "name", MAX_NAME)
    check_text(description, "description", MAX_DESCRIPTION)
    check_attributes(attributes)
