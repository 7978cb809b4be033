"""Every error the Application Server raises (The Things Stack's ``pkg/applicationserver`` names)."""

from __future__ import annotations

from grpc import StatusCode

from lorastack.errors import define

__all__ = [
    "app_s_key_unavailable",
    "device_not_found",
    "formatter_failed",
    "invalid_application_id",
    "invalid_downlink",
    "invalid_integration",
    "link_failed",
    "link_not_found",
    "no_app_s_key",
    "no_join_server",
    "no_network_server",
    "not_linked",
    "payload_crypto_skipped",
    "pubsub_not_found",
    "unknown_kek",
    "unknown_tenant",
    "unsupported_provider",
    "webhook_not_found",
]

_NS = "pkg/applicationserver"

link_not_found = define(_NS, "link_not_found", "link of application `{application_id}` not found", StatusCode.NOT_FOUND)
link_failed = define(
    _NS, "link_failed", "link of application `{application_id}` failed: {reason}", StatusCode.UNAVAILABLE
)
not_linked = define(_NS, "not_linked", "application `{application_id}` is not linked yet", StatusCode.NOT_FOUND)
device_not_found = define(_NS, "device_not_found", "end device `{device_id}` not found", StatusCode.NOT_FOUND)
webhook_not_found = define(
    "pkg/applicationserver/io/web", "webhook_not_found", "webhook `{webhook_id}` not found", StatusCode.NOT_FOUND
)
pubsub_not_found = define(
    "pkg/applicationserver/io/pubsub", "pubsub_not_found", "pub/sub `{pub_sub_id}` not found", StatusCode.NOT_FOUND
)
invalid_integration = define(
    "pkg/applicationserver/io",
    "invalid_integration",
    "invalid integration settings: {reason}",
    StatusCode.INVALID_ARGUMENT,
)
unsupported_provider = define(
    "pkg/applicationserver/io/pubsub",
    "provider",
    "pub/sub provider `{provider}` is not supported",
    StatusCode.INVALID_ARGUMENT,
)
no_network_server = define(
    _NS, "network_server_not_found", "no network server configured to link to", StatusCode.UNAVAILABLE
)
no_join_server = define(_NS, "join_server_not_found", "no join server configured", StatusCode.UNAVAILABLE)
app_s_key_unavailable = define(
    _NS, "app_s_key", "cannot get the AppSKey from the join server: {reason}", StatusCode.UNAVAILABLE
)
no_app_s_key = define(_NS, "no_app_s_key", "no AppSKey for end device `{device_id}`", StatusCode.FAILED_PRECONDITION)
unknown_kek = define(_NS, "kek_not_found", "key encryption key `{label}` not found", StatusCode.FAILED_PRECONDITION)
payload_crypto_skipped = define(
    _NS,
    "payload_crypto_skipped",
    "payload crypto is skipped for end device `{device_id}`: push encrypted payloads only",
    StatusCode.FAILED_PRECONDITION,
)
formatter_failed = define(
    "pkg/applicationserver/io/formatters",
    "formatter",
    "payload formatter failed: {reason}",
    StatusCode.INVALID_ARGUMENT,
)
invalid_downlink = define(_NS, "invalid_downlink", "invalid downlink: {reason}", StatusCode.INVALID_ARGUMENT)
unknown_tenant = define(
    "pkg/tenant", "tenant_not_found", "tenant `{tenant_id}` is not a valid tenant id", StatusCode.INVALID_ARGUMENT
)
invalid_application_id = define(
    _NS, "invalid_application_id", "invalid application id `{application_id}`", StatusCode.INVALID_ARGUMENT
)
