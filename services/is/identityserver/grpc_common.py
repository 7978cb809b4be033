"""Helpers every IS servicer uses: the caller, pagination, the total-count header, account ids."""

from __future__ import annotations

from typing import Any

import grpc

from identityserver import errors, validation
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.common import Page
from ttn.lorawan.v3 import identifiers_pb2

__all__ = ["Context", "account_of", "caller_of", "page_of", "send_total"]

Context = grpc.aio.ServicerContext[Any, Any]


async def caller_of(auth: Authorizer, context: Context) -> Caller:
    return await auth.caller(context.invocation_metadata())


def page_of(request: Any) -> Page:
    return Page(limit=int(request.limit), page=int(request.page), order=str(request.order))


async def send_total(context: Context, total: int) -> None:
    """The total of a paginated list travels as ``x-total-count`` (REST: ``X-Total-Count``)."""
    await context.send_initial_metadata((("x-total-count", str(total)),))


def account_of(ids: identifiers_pb2.OrganizationOrUserIdentifiers, field: str = "collaborator") -> tuple[str, str]:
    which = ids.WhichOneof("ids")
    if which == "user_ids":
        return "user", validation.check_id(ids.user_ids.user_id, f"{field}.user_ids.user_id")
    if which == "organization_ids":
        return "organization", validation.check_id(
            ids.organization_ids.organization_id, f"{field}.organization_ids.organization_id"
        )
    raise errors.invalid_field(field=field, reason="a user or an organization is required")


def account_ids(account: tuple[str, str]) -> identifiers_pb2.OrganizationOrUserIdentifiers:
    if account[0] == "user":
        return identifiers_pb2.OrganizationOrUserIdentifiers(
            user_ids=identifiers_pb2.UserIdentifiers(user_id=account[1])
        )
    return identifiers_pb2.OrganizationOrUserIdentifiers(
        organization_ids=identifiers_pb2.OrganizationIdentifiers(organization_id=account[1])
    )
