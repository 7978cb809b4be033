from __future__ import annotations

import grpc
import pytest

from lorastack.errors import define, http_status
from lorastack.rpc.status import error_details

not_found = define("pkg/test", "thing_not_found", "thing `{thing_id}` not found", grpc.StatusCode.NOT_FOUND)


def test_message_is_formatted_with_attributes() -> None:
    err = not_found(thing_id="abc")
    assert err.message == "thing `abc` not found"
    assert err.full_name == "pkg/test:thing_not_found"
    assert err.is_instance(not_found)
    assert len(err.correlation_id) == 32


@pytest.mark.parametrize(
    ("name", "message"),
    [("NotSnake", "fine"), ("bad-name", "fine"), ("good_name", "ends with a period.")],
)
def test_definitions_follow_the_conventions(name: str, message: str) -> None:
    with pytest.raises(ValueError):
        define("pkg/test", name, message, grpc.StatusCode.INTERNAL)


def test_http_mapping_follows_the_things_stack() -> None:
    assert http_status(grpc.StatusCode.INVALID_ARGUMENT) == 400
    assert http_status(grpc.StatusCode.FAILED_PRECONDITION) == 400
    assert http_status(grpc.StatusCode.UNAUTHENTICATED) == 401
    assert http_status(grpc.StatusCode.PERMISSION_DENIED) == 403
    assert http_status(grpc.StatusCode.ALREADY_EXISTS) == 409
    assert http_status(grpc.StatusCode.ABORTED) == 409
    assert http_status(grpc.StatusCode.RESOURCE_EXHAUSTED) == 429
    assert http_status(grpc.StatusCode.UNAVAILABLE) == 503


def test_error_details_carry_the_definition_and_attributes() -> None:
    inner = not_found(thing_id="x")
    outer = define("pkg/test", "wrapped", "wrapped", grpc.StatusCode.INTERNAL)(cause=inner, extra=object())
    details = error_details(outer)
    assert (details.namespace, details.name, details.code) == ("pkg/test", "wrapped", 13)
    assert details.cause.name == "thing_not_found"
    assert details.cause.attributes["thing_id"] == "x"
    assert isinstance(details.attributes["extra"], str)  # not JSON: stringified
