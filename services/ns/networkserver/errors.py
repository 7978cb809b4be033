"""Every error the Network Server raises, with The Things Stack's namespaces and names."""

from __future__ import annotations

import grpc

from lorastack.errors import define

__all__ = [
    "ERR_DEVICE_NOT_FOUND",
    "ERR_DOWNLINK_PAYLOAD_TOO_LONG",
    "ERR_INVALID_DEVICE",
    "ERR_INVALID_DOWNLINK",
    "ERR_INVALID_FIELD",
    "ERR_MISSING_APPLICATION_ID",
    "ERR_NO_DEV_ADDR_PREFIX",
    "ERR_NO_SESSION",
    "ERR_STORE_CONFLICT",
    "ERR_STORE_UNAVAILABLE",
    "ERR_UNKNOWN_FREQUENCY_PLAN",
]

_NS = "pkg/networkserver"

ERR_DEVICE_NOT_FOUND = define(_NS, "device_not_found", "device `{device_id}` not found", grpc.StatusCode.NOT_FOUND)
ERR_INVALID_DEVICE = define(_NS, "invalid_device", "invalid device: {reason}", grpc.StatusCode.INVALID_ARGUMENT)
ERR_INVALID_FIELD = define(
    _NS, "invalid_field_value", "invalid value of field `{field}`: {reason}", grpc.StatusCode.INVALID_ARGUMENT
)
ERR_UNKNOWN_FREQUENCY_PLAN = define(
    _NS, "frequency_plan_not_found", "frequency plan `{id}` not found", grpc.StatusCode.INVALID_ARGUMENT
)
ERR_NO_DEV_ADDR_PREFIX = define(
    _NS, "no_dev_addr_prefixes", "no DevAddr prefixes configured", grpc.StatusCode.FAILED_PRECONDITION
)
ERR_STORE_CONFLICT = define(
    _NS, "concurrent_update", "device `{device_id}` kept changing under this update", grpc.StatusCode.ABORTED
)
ERR_NO_SESSION = define(
    _NS, "no_device_session", "device `{device_id}` has no session", grpc.StatusCode.FAILED_PRECONDITION
)
ERR_INVALID_DOWNLINK = define(_NS, "invalid_downlink", "invalid downlink: {reason}", grpc.StatusCode.INVALID_ARGUMENT)
ERR_DOWNLINK_PAYLOAD_TOO_LONG = define(
    _NS,
    "application_downlink_too_long",
    "application downlink of {length} bytes exceeds {maximum} bytes at the current data rate",
    grpc.StatusCode.INVALID_ARGUMENT,
)
ERR_STORE_UNAVAILABLE = define(
    _NS, "store_unavailable", "the device store cannot be reached", grpc.StatusCode.UNAVAILABLE
)
ERR_MISSING_APPLICATION_ID = define(
    _NS,
    "missing_application_id",
    "the link needs the application id in the `id` call metadata",
    grpc.StatusCode.INVALID_ARGUMENT,
)
