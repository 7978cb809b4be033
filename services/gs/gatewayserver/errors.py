"""Every error the Gateway Server raises (The Things Stack's ``pkg/gatewayserver`` names)."""

from __future__ import annotations

import grpc

from lorastack.errors import define

__all__ = [
    "duty_cycle",
    "dwell_time",
    "invalid_frequency",
    "invalid_tx_power",
    "invalid_uplink_token",
    "no_clock_sync",
    "no_credentials",
    "no_downlink_path",
    "not_a_gateway",
    "not_connected",
    "remote_schedule_failed",
    "schedule_conflict",
    "schedule_failed",
    "too_late",
    "unknown_frequency_plan",
    "unsupported_data_rate",
]

_NS = "pkg/gatewayserver"
_SCHED = "pkg/gatewayserver/scheduling"

no_clock_sync = define(_NS, "no_clock_sync", "no clock sync with gateway `{gateway_uid}`", grpc.StatusCode.UNAVAILABLE)
no_credentials = define(_NS, "no_credentials", "no credentials", grpc.StatusCode.UNAUTHENTICATED)
not_a_gateway = define(
    _NS, "not_a_gateway", "the credentials do not belong to a gateway", grpc.StatusCode.PERMISSION_DENIED
)
not_connected = define(_NS, "not_connected", "gateway `{gateway_uid}` not connected", grpc.StatusCode.NOT_FOUND)
no_downlink_path = define(_NS, "no_downlink_path", "no downlink path", grpc.StatusCode.INVALID_ARGUMENT)
invalid_uplink_token = define(_NS, "uplink_token", "invalid uplink token", grpc.StatusCode.INVALID_ARGUMENT)
remote_schedule_failed = define(
    _NS, "remote_schedule", "the gateway's replica refused: {detail}", grpc.StatusCode.FAILED_PRECONDITION
)
schedule_failed = define(
    _NS, "schedule", "failed to schedule on any of {count} paths", grpc.StatusCode.FAILED_PRECONDITION
)
unknown_frequency_plan = define(
    _NS, "frequency_plan_not_found", "frequency plan `{id}` not found", grpc.StatusCode.NOT_FOUND
)
unsupported_data_rate = define(
    _NS, "data_rate", "data rate unusable for a downlink: {reason}", grpc.StatusCode.INVALID_ARGUMENT
)
too_late = define(
    _SCHED, "too_late", "too late to transmission scheduled time by {delta_ms} ms", grpc.StatusCode.FAILED_PRECONDITION
)
schedule_conflict = define(_SCHED, "conflict", "scheduling conflict", grpc.StatusCode.ALREADY_EXISTS)
duty_cycle = define(_SCHED, "duty_cycle", "duty-cycle limit of sub-band reached", grpc.StatusCode.RESOURCE_EXHAUSTED)
dwell_time = define(
    _SCHED,
    "dwell_time",
    "time on air {airtime_ms} ms exceeds dwell time {dwell_ms} ms",
    grpc.StatusCode.FAILED_PRECONDITION,
)
invalid_frequency = define(
    _SCHED,
    "frequency",
    "frequency {frequency} Hz not allowed by the frequency plan",
    grpc.StatusCode.FAILED_PRECONDITION,
)
invalid_tx_power = define(
    _SCHED, "tx_power", "no transmit power available at {frequency} Hz", grpc.StatusCode.FAILED_PRECONDITION
)
