"""Invitations to register: sent by administrators or holders of RIGHT_SEND_INVITES, mailed with a
token (kept hashed) that lets one person create an account while self-registration is closed.
"""

from __future__ import annotations

import secrets as _random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from identityserver import credentials, errors
from identityserver.auth import Authorizer, Caller
from identityserver.email import Email, Mailer
from identityserver.pgstore.common import Page, timestamp
from identityserver.pgstore.invitations import InvitationRow, InvitationStore
from identityserver.registry import Notify, _silent
from ttn.lorawan.v3 import identifiers_pb2, rights_pb2, user_pb2

__all__ = ["Invitations", "invitation_message"]


def invitation_message(row: InvitationRow) -> user_pb2.Invitation:
    """An invitation as listed: the token is only ever in the mail."""
    msg = user_pb2.Invitation(email=row.email)
    msg.created_at.CopyFrom(timestamp(row.created_at))
    msg.updated_at.CopyFrom(timestamp(row.updated_at))
    msg.expires_at.CopyFrom(timestamp(row.expires_at))
    if row.accepted_at is not None:
        msg.accepted_at.CopyFrom(timestamp(row.accepted_at))
    if row.accepted_by:
        msg.accepted_by.CopyFrom(identifiers_pb2.UserIdentifiers(user_id=row.accepted_by))
    return msg


def _check_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise errors.invalid_field(field="email", reason="not an e-mail address")
    return email


class Invitations:
    def __init__(
        self,
        store: InvitationStore,
        auth: Authorizer,
        mailer: Mailer,
        *,
        ttl: timedelta,
        link_base: str,
        notify: Notify = _silent,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._auth = auth
        self._mailer = mailer
        self._ttl = ttl
        self._link_base = link_base.rstrip("/")
        self._notify = notify
        self._clock = clock

    async def _sender(self, caller: Caller) -> str | None:
        """The user the caller's invitations are filed under; None for administrators (all of them)."""
        if caller.universal:
            return None
        user_id = caller.user_id
        if user_id is None or rights_pb2.RIGHT_SEND_INVITES not in await self._auth.rights(caller, "user", user_id):
            raise errors.insufficient_rights(
                entity_type="user",
                entity_id=user_id or "-",
                missing=rights_pb2.Right.Name(rights_pb2.RIGHT_SEND_INVITES),
            )
        return user_id

    async def send(self, caller: Caller, email: str) -> user_pb2.Invitation:
        sender = await self._sender(caller)
        address = _check_email(email)
        token = _random.token_urlsafe(32)
        row = await self._store.create(
            caller.tenant_id,
            address,
            credentials.hash_secret(token),
            sender or caller.user_id or "",
            self._clock() + self._ttl,
        )
        body = (
            "Hello,\n\n"
            f"you are invited to create an account on {self._link_base}. Register (POST /api/v3/users with\n"
            f"this invitation_token) before {row.expires_at.isoformat(timespec='seconds')}:\n\n"
            f"invitation_token: {token}\n"
        )
        await self._mailer.queue(caller.tenant_id, "invitation", Email(address, "You are invited", body))
        await self._announce("is.invitation.create", caller)
        return invitation_message(row)

    async def listing(self, caller: Caller, page: Page) -> tuple[list[user_pb2.Invitation], int]:
        sender = await self._sender(caller)
        rows, total = await self._store.list(caller.tenant_id, sender, page)
        return [invitation_message(r) for r in rows], total

    async def delete(self, caller: Caller, email: str) -> None:
        sender = await self._sender(caller)
        address = _check_email(email)
        if not await self._store.delete(caller.tenant_id, address, sender):
            raise errors.not_found(entity_type="invitation", entity_id=address)
        await self._announce("is.invitation.delete", caller)

    async def _announce(self, name: str, caller: Caller) -> None:
        if caller.user_id is not None:
            await self._notify(name, caller.tenant_id, "user", caller.user_id)

    async def accept(self, tenant: str, token: str) -> InvitationRow:
        """Take an invitation for a registration; expired or accepted ones are refused, unchanged."""
        now = self._clock()

        def check(row: InvitationRow) -> None:
            if row.accepted_at is not None:
                raise errors.invitation_used()
            if row.expires_at <= now:
                raise errors.invitation_expired()

        return await self._store.accept(tenant, credentials.hash_secret(token), check)

    async def settle(self, row: InvitationRow, user_id: str | None) -> None:
        await self._store.settle(row.tenant_id, row.email, user_id)
