"""What each entity kind stores and how it is validated (The Things Stack's field rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from identityserver import errors, validation
from identityserver.registry import EntitySpec
from ttn.lorawan.v3 import application_pb2, gateway_pb2, organization_pb2, rights_pb2, user_pb2

__all__ = ["APPLICATION", "GATEWAY", "ORGANIZATION", "USER", "gateway_columns", "user_columns"]


def _validate_application(app: application_pb2.Application) -> None:
    validation.check_id(app.ids.application_id, "application.ids.application_id")
    validation.check_common(app.name, app.description, app.attributes)
    for field in ("network_server_address", "application_server_address", "join_server_address"):
        validation.check_address(getattr(app, field), field)


def _validate_gateway(gtw: gateway_pb2.Gateway) -> None:
    validation.check_id(gtw.ids.gateway_id, "gateway.ids.gateway_id")
    validation.check_eui(gtw.ids.eui, "gateway.ids.eui")
    validation.check_common(gtw.name, gtw.description, gtw.attributes)
    validation.check_address(gtw.gateway_server_address, "gateway_server_address")
    if len(gtw.frequency_plan_ids) > 8:
        raise errors.invalid_field(field="frequency_plan_ids", reason="at most 8 frequency plans")
    for plan in gtw.frequency_plan_ids:
        validation.check_text(plan, "frequency_plan_ids", 64)
    if len(gtw.antennas) > 8:
        raise errors.invalid_field(field="antennas", reason="at most 8 antennas")
    for antenna in gtw.antennas:
        loc = antenna.location
        if not (-90 <= loc.latitude <= 90 and -180 <= loc.longitude <= 180):
            raise errors.invalid_field(field="antennas.location", reason="latitude or longitude out of range")


def _validate_organization(org: organization_pb2.Organization) -> None:
    validation.check_id(org.ids.organization_id, "organization.ids.organization_id")
    validation.check_common(org.name, org.description, org.attributes)


def _validate_user(user: user_pb2.User) -> None:
    validation.check_id(user.ids.user_id, "user.ids.user_id")
    validation.check_common(user.name, user.description, user.attributes)
    email = user.primary_email_address
    if email and ("@" not in email or len(email) > 254):
        raise errors.invalid_field(field="primary_email_address", reason="not an email address")


def gateway_columns(gtw: Any) -> Mapping[str, Any]:
    return {"name": gtw.name, "eui": bytes(gtw.ids.eui) or None}


def named(msg: Any) -> Mapping[str, Any]:
    return {"name": msg.name}


def user_columns(user: Any) -> Mapping[str, Any]:
    return {"name": user.name, "admin": user.admin, "primary_email_address": user.primary_email_address}


APPLICATION = EntitySpec(
    "application", application_pb2.Application, lambda a: a.ids.application_id, _validate_application
)
GATEWAY = EntitySpec("gateway", gateway_pb2.Gateway, lambda g: g.ids.gateway_id, _validate_gateway)
ORGANIZATION = EntitySpec(
    "organization",
    organization_pb2.Organization,
    lambda o: o.ids.organization_id,
    _validate_organization,
    owner_rights=(rights_pb2.RIGHT_ALL,),
)
USER = EntitySpec(
    "user",
    user_pb2.User,
    lambda u: u.ids.user_id,
    _validate_user,
    read_only=(
        "ids",
        "created_at",
        "updated_at",
        "deleted_at",
        "password",
        "password_updated_at",
        "temporary_password",
        "temporary_password_created_at",
        "temporary_password_expires_at",
    ),
)
