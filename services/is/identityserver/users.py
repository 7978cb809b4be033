"""User accounts: creation by administrators or registration (invited, or open when configured),
passwords (Argon2id) and temporary passwords.
"""

from __future__ import annotations

import secrets as _random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from identityserver import credentials, errors, kinds
from identityserver.auth import Authorizer, Caller
from identityserver.invitations import Invitations
from identityserver.pgstore.users import UserSecrets
from identityserver.registry import Registry
from ttn.lorawan.v3 import enums_pb2, rights_pb2, user_pb2

__all__ = ["MIN_PASSWORD", "Users"]

MIN_PASSWORD = 8
MAX_PASSWORD = 1000
TEMPORARY_PASSWORD_TTL = timedelta(hours=1)
_VALIDATED_AT = "primary_email_address_validated_at"


def _copy(user: user_pb2.User) -> user_pb2.User:
    out = user_pb2.User()
    out.CopyFrom(user)
    return out


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise errors.invalid_password(reason=f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise errors.invalid_password(reason=f"a password has at most {MAX_PASSWORD} characters")


class Users:
    def __init__(
        self,
        registry: Registry[user_pb2.User],
        secrets: UserSecrets,
        authorizer: Authorizer,
        *,
        invitations: Invitations | None = None,
        self_registration: bool = False,
    ) -> None:
        self.registry = registry
        self._secrets = secrets
        self._auth = authorizer
        self._invitations = invitations
        self._self_registration = self_registration

    async def create(self, caller: Caller, user: user_pb2.User, invitation_token: str = "") -> user_pb2.User:
        """Administrators and cluster peers create any account; anyone else registers with an
        invitation token, or without one only while self-registration is open.
        """
        _check_new_password(user.password)
        record = _copy(user)
        record.ClearField("password")
        record.ClearField("temporary_password")
        invitation = None
        if not caller.universal:
            for name in ("admin", "state", "state_description", _VALIDATED_AT):
                record.ClearField(name)  # type: ignore[arg-type]
            if invitation_token and self._invitations is not None:
                invitation = await self._invitations.accept(caller.tenant_id, invitation_token)
                # The invitation reached this address, which proves it.
                if record.primary_email_address.lower() in ("", invitation.email):
                    record.primary_email_address = invitation.email
                    record.primary_email_address_validated_at.GetCurrentTime()
                record.state = enums_pb2.STATE_APPROVED
            elif not self._self_registration:
                raise errors.invitation_required()
        password_hash = await credentials.hash_password(user.password)
        try:
            created = await self.registry.create(caller, record, None, secrets={"password_hash": password_hash})
        except BaseException:
            if invitation is not None and self._invitations is not None:
                await self._invitations.settle(invitation, None)
            raise
        if invitation is not None and self._invitations is not None:
            await self._invitations.settle(invitation, created.ids.user_id)
        return created

    async def update(self, caller: Caller, user: user_pb2.User, paths: Sequence[str]) -> user_pb2.User:
        touched = {p.split(".")[0] for p in paths}
        if touched & {"admin", "state", _VALIDATED_AT} and not caller.universal:
            raise errors.insufficient_rights(entity_type="user", entity_id=user.ids.user_id, missing="admin")
        if "primary_email_address" in touched and _VALIDATED_AT not in touched:
            # A new address is not validated yet: the mask clears the old stamp.
            user = _copy(user)
            user.ClearField("primary_email_address_validated_at")
            paths = [*paths, _VALIDATED_AT]
        return await self.registry.update(caller, user, paths)

    async def update_password(self, caller: Caller, user_id: str, new: str, old: str) -> None:
        await self._auth.require(caller, "user", user_id, kinds.KINDS["user"].settings_basic)
        _check_new_password(new)
        current, temporary, temporary_expires = await self._secrets.hashes(caller.tenant_id, user_id)
        if not caller.universal:
            temporary_ok = temporary_expires is not None and temporary_expires > datetime.now(UTC)
            matches = await credentials.check_password(old, current) or (
                temporary_ok and await credentials.check_password(old, temporary)
            )
            if not matches:
                raise errors.invalid_password(reason="the old password is wrong")
        await self._secrets.set_password(caller.tenant_id, user_id, await credentials.hash_password(new))

    async def create_temporary_password(self, caller: Caller, user_id: str) -> str:
        """Store a temporary password; it is returned for delivery by mail, never over the API."""
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_INFO)
        if await self.registry.store.get(caller.tenant_id, user_id) is None:
            raise errors.not_found(entity_type="user", entity_id=user_id)
        password = _random.token_urlsafe(12)
        await self._secrets.set_temporary_password(
            caller.tenant_id,
            user_id,
            await credentials.hash_password(password),
            datetime.now(UTC) + TEMPORARY_PASSWORD_TTL,
        )
        return password
