"""Every error the Identity Server raises (namespace ``pkg/identityserver``)."""

from __future__ import annotations

import grpc

from lorastack.errors import define

__all__ = [
    "already_exists",
    "already_validated",
    "api_key_expired",
    "collaborator_not_found",
    "email_changed",
    "eui_taken",
    "field_too_long",
    "forbidden_credentials",
    "insufficient_rights",
    "invalid_address",
    "invalid_api_key",
    "invalid_attribute",
    "invalid_eui",
    "invalid_field",
    "invalid_identifier",
    "invalid_invitation_token",
    "invalid_order",
    "invalid_password",
    "invalid_tenant_admin_key",
    "invalid_token",
    "invalid_validation_token",
    "invitation_expired",
    "invitation_required",
    "invitation_used",
    "last_admin_collaborator",
    "no_email_address",
    "no_rights",
    "not_found",
    "rights_not_held",
    "token_expired",
    "too_many_attributes",
    "unknown_tenant",
    "validation_pending",
    "validation_token_expired",
    "validation_token_used",
]

_NS = "pkg/identityserver"

not_found = define(_NS, "not_found", "{entity_type} `{entity_id}` not found", grpc.StatusCode.NOT_FOUND)
already_exists = define(
    _NS, "already_exists", "{entity_type} `{entity_id}` already exists", grpc.StatusCode.ALREADY_EXISTS
)
eui_taken = define(_NS, "eui_taken", "EUI `{eui}` is already registered", grpc.StatusCode.ALREADY_EXISTS)
collaborator_not_found = define(
    _NS, "collaborator_not_found", "collaborator `{collaborator}` not found", grpc.StatusCode.NOT_FOUND
)
invalid_identifier = define(
    _NS,
    "invalid_identifier",
    "invalid {field} `{value}`: use 3 to 36 lower-case letters, digits and single dashes",
    grpc.StatusCode.INVALID_ARGUMENT,
)
invalid_eui = define(_NS, "invalid_eui", "invalid {field}: an EUI is 8 bytes", grpc.StatusCode.INVALID_ARGUMENT)
invalid_address = define(
    _NS, "invalid_address", "invalid {field} `{value}`: expected host[:port]", grpc.StatusCode.INVALID_ARGUMENT
)
invalid_field = define(_NS, "invalid_field", "invalid {field}: {reason}", grpc.StatusCode.INVALID_ARGUMENT)
field_too_long = define(
    _NS, "field_too_long", "{field} is longer than {limit} characters", grpc.StatusCode.INVALID_ARGUMENT
)
too_many_attributes = define(
    _NS, "too_many_attributes", "more than {limit} attributes", grpc.StatusCode.INVALID_ARGUMENT
)
invalid_attribute = define(
    _NS, "invalid_attribute", "invalid attribute `{key}`: {reason}", grpc.StatusCode.INVALID_ARGUMENT
)
invalid_order = define(_NS, "invalid_order", "cannot order by `{order}`", grpc.StatusCode.INVALID_ARGUMENT)
invalid_password = define(_NS, "invalid_password", "{reason}", grpc.StatusCode.INVALID_ARGUMENT)
unknown_tenant = define(_NS, "unknown_tenant", "tenant `{tenant_id}` not found", grpc.StatusCode.NOT_FOUND)
invalid_api_key = define(_NS, "invalid_api_key", "invalid API key", grpc.StatusCode.UNAUTHENTICATED)
api_key_expired = define(_NS, "api_key_expired", "API key `{key_id}` expired", grpc.StatusCode.UNAUTHENTICATED)
forbidden_credentials = define(
    _NS, "unsupported_credentials", "these credentials are not accepted here", grpc.StatusCode.UNAUTHENTICATED
)
invalid_token = define(_NS, "invalid_token", "invalid access token", grpc.StatusCode.UNAUTHENTICATED)
token_expired = define(_NS, "token_expired", "access token `{token_id}` expired", grpc.StatusCode.UNAUTHENTICATED)
invalid_tenant_admin_key = define(
    _NS, "invalid_tenant_admin_key", "invalid tenant admin key", grpc.StatusCode.UNAUTHENTICATED
)
no_rights = define(_NS, "no_rights", "no rights for {entity_type} `{entity_id}`", grpc.StatusCode.PERMISSION_DENIED)
insufficient_rights = define(
    _NS,
    "insufficient_rights",
    "insufficient rights for {entity_type} `{entity_id}`: missing {missing}",
    grpc.StatusCode.PERMISSION_DENIED,
)
rights_not_held = define(
    _NS, "rights_not_held", "cannot grant rights the caller does not hold: {rights}", grpc.StatusCode.PERMISSION_DENIED
)
last_admin_collaborator = define(
    _NS,
    "last_admin_collaborator",
    "{entity_type} `{entity_id}` needs at least one collaborator with all rights",
    grpc.StatusCode.FAILED_PRECONDITION,
)

# Contact info validation and invitations: tokens are refused with one clear reason each, nothing changed.
invalid_validation_token = define(
    _NS, "invalid_validation_token", "unknown validation or wrong token", grpc.StatusCode.INVALID_ARGUMENT
)
validation_token_expired = define(
    _NS, "validation_token_expired", "validation `{validation_id}` expired", grpc.StatusCode.FAILED_PRECONDITION
)
validation_token_used = define(
    _NS, "validation_token_used", "validation `{validation_id}` was already used", grpc.StatusCode.FAILED_PRECONDITION
)
email_changed = define(
    _NS,
    "email_changed",
    "the e-mail address of user `{user_id}` changed since the validation was requested",
    grpc.StatusCode.FAILED_PRECONDITION,
)
no_email_address = define(
    _NS, "no_email_address", "user `{user_id}` has no primary e-mail address", grpc.StatusCode.FAILED_PRECONDITION
)
already_validated = define(
    _NS,
    "already_validated",
    "the e-mail address of user `{user_id}` is already validated",
    grpc.StatusCode.ALREADY_EXISTS,
)
validation_pending = define(
    _NS,
    "validation_pending",
    "a validation of this address was already sent; it expires at {expires_at}",
    grpc.StatusCode.ALREADY_EXISTS,
)
invalid_invitation_token = define(
    _NS, "invalid_invitation_token", "unknown invitation token", grpc.StatusCode.INVALID_ARGUMENT
)
invitation_expired = define(_NS, "invitation_expired", "the invitation expired", grpc.StatusCode.FAILED_PRECONDITION)
invitation_used = define(
    _NS, "invitation_used", "the invitation was already accepted", grpc.StatusCode.FAILED_PRECONDITION
)
invitation_required = define(
    _NS,
    "invitation_required",
    "registration is closed: an administrator creates the account or sends an invitation",
    grpc.StatusCode.PERMISSION_DENIED,
)
