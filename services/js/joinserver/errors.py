"""Every error the Join Server raises (namespace ``pkg/joinserver``, The Things Stack's style)."""

from __future__ import annotations

from grpc import StatusCode

from lorastack.errors import define

__all__ = [
    "ambiguous_dev_eui",
    "corrupted_key",
    "dev_nonce_too_small",
    "device_exists",
    "device_not_found",
    "duplicate_provisioning_entry",
    "eui_taken",
    "field_not_allowed",
    "identifiers_changed",
    "invalid_field",
    "invalid_provisioning_entry",
    "join_nonce_exhausted",
    "mic_mismatch",
    "missing_identifiers",
    "no_app_key",
    "no_end_devices",
    "no_nwk_key",
    "payload_decode",
    "payload_missing",
    "payload_type",
    "peer_role_denied",
    "provision_entry_count",
    "provisioner_decode",
    "provisioner_not_found",
    "registry_busy",
    "reuse_dev_nonce",
    "rj_count_too_small",
    "session_keys_not_found",
    "unknown_join_eui",
    "unknown_kek_label",
    "unsupported_lorawan_version",
]

_NS = "pkg/joinserver"

payload_missing = define(_NS, "no_payload", "the join-request carries no raw payload", StatusCode.INVALID_ARGUMENT)
payload_decode = define(_NS, "decode_payload", "cannot decode the payload: {reason}", StatusCode.INVALID_ARGUMENT)
payload_type = define(
    _NS, "wrong_payload_type", "payload of type `{mtype}` is not a join-request", StatusCode.INVALID_ARGUMENT
)
invalid_field = define(_NS, "invalid_field", "field `{field}` is invalid: {reason}", StatusCode.INVALID_ARGUMENT)
unsupported_lorawan_version = define(
    _NS, "unsupported_lorawan_version", "LoRaWAN version `{version}` is not supported", StatusCode.INVALID_ARGUMENT
)
unknown_join_eui = define(
    _NS,
    "unknown_join_eui",
    "this Join Server is not authoritative for JoinEUI `{join_eui}`",
    StatusCode.INVALID_ARGUMENT,
)
device_not_found = define(_NS, "device_not_found", "end device `{device}` not found", StatusCode.NOT_FOUND)
no_app_key = define(_NS, "no_app_key", "end device `{device}` has no AppKey", StatusCode.FAILED_PRECONDITION)
no_nwk_key = define(_NS, "no_nwk_key", "end device `{device}` has no NwkKey", StatusCode.FAILED_PRECONDITION)
mic_mismatch = define(_NS, "mic_mismatch", "MIC of the join-request does not match", StatusCode.INVALID_ARGUMENT)
reuse_dev_nonce = define(
    _NS, "reuse_dev_nonce", "DevNonce `{dev_nonce}` was used before by this end device", StatusCode.INVALID_ARGUMENT
)
dev_nonce_too_small = define(
    _NS,
    "dev_nonce_too_small",
    "DevNonce `{dev_nonce}` is not greater than the last one, `{last_dev_nonce}`",
    StatusCode.INVALID_ARGUMENT,
)
join_nonce_exhausted = define(
    _NS, "join_nonce_too_high", "the JoinNonce of end device `{device}` is exhausted", StatusCode.FAILED_PRECONDITION
)
unknown_kek_label = define(
    _NS, "unknown_kek_label", "KEK label `{label}` is not configured", StatusCode.FAILED_PRECONDITION
)
corrupted_key = define(_NS, "corrupted_key", "a stored key cannot be unwrapped", StatusCode.DATA_LOSS)
session_keys_not_found = define(
    _NS, "session_keys_not_found", "no session keys with ID `{session_key_id}`", StatusCode.NOT_FOUND
)
registry_busy = define(
    _NS, "registry_busy", "end device `{device}` changed concurrently too often, try again", StatusCode.ABORTED
)
missing_identifiers = define(
    _NS, "missing_identifiers", "identifier `{field}` is required", StatusCode.INVALID_ARGUMENT
)
identifiers_changed = define(
    _NS,
    "identifiers_changed",
    "the JoinEUI and DevEUI of end device `{device}` cannot change",
    StatusCode.INVALID_ARGUMENT,
)
eui_taken = define(
    _NS,
    "eui_taken",
    "JoinEUI `{join_eui}` and DevEUI `{dev_eui}` are already registered to another end device",
    StatusCode.ALREADY_EXISTS,
)
device_exists = define(_NS, "device_exists", "end device `{device}` already exists", StatusCode.ALREADY_EXISTS)
field_not_allowed = define(
    _NS, "field_not_allowed", "field `{field}` is not kept by the Join Server", StatusCode.INVALID_ARGUMENT
)
peer_role_denied = define(
    _NS,
    "peer_role_denied",
    "only a cluster peer with role `{required}` may call `{method}`, the caller declared role `{role}`",
    StatusCode.PERMISSION_DENIED,
)
rj_count_too_small = define(
    _NS,
    "rj_count_too_small",
    "RJcount1 `{rj_count}` is not greater than the last one, `{last_rj_count}`",
    StatusCode.INVALID_ARGUMENT,
)
ambiguous_dev_eui = define(
    _NS,
    "ambiguous_dev_eui",
    "DevEUI `{dev_eui}` is registered under several JoinEUIs; a rejoin-request of type 0 or 2 cannot pick one",
    StatusCode.FAILED_PRECONDITION,
)
provisioner_not_found = define(
    _NS, "provisioner_not_found", "provisioner `{id}` not found", StatusCode.FAILED_PRECONDITION
)
provisioner_decode = define(
    _NS, "provisioner_decode", "provisioning data cannot be decoded: {reason}", StatusCode.INVALID_ARGUMENT
)
provision_entry_count = define(
    _NS,
    "provision_entry_count",
    "the provisioning data has `{actual}` entries for `{expected}` end devices",
    StatusCode.INVALID_ARGUMENT,
)
no_end_devices = define(
    _NS,
    "no_end_devices",
    "name the end devices to provision with `list`, `range` or `from_data`",
    StatusCode.INVALID_ARGUMENT,
)
invalid_provisioning_entry = define(
    _NS,
    "invalid_provisioning_entry",
    "provisioning entry `{index}` cannot be provisioned: {reason}",
    StatusCode.INVALID_ARGUMENT,
)
duplicate_provisioning_entry = define(
    _NS,
    "duplicate_provisioning_entry",
    "provisioning entries `{first}` and `{second}` share the {what} `{value}`",
    StatusCode.INVALID_ARGUMENT,
)
