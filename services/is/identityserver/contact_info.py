"""Validation of a user's primary e-mail address: a token sent by mail (kept hashed, expiring,
used once) that marks ``primary_email_address_validated_at`` when it comes back.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from identityserver import credentials, errors
from identityserver.auth import Authorizer, Caller
from identityserver.email import Email, Mailer
from identityserver.pgstore.common import timestamp
from identityserver.pgstore.entities import EntityStore
from identityserver.pgstore.validations import ValidationRow, ValidationStore
from identityserver.registry import Notify, _silent
from ttn.lorawan.v3 import contact_info_pb2, identifiers_pb2, rights_pb2, user_pb2

__all__ = ["ContactInfo", "validation_message"]

_TOKEN_PREFIX = "VALID"


def validation_message(row: ValidationRow, token: str = "") -> contact_info_pb2.ContactInfoValidation:
    msg = contact_info_pb2.ContactInfoValidation(
        id=row.validation_id,
        token=token,
        entity=identifiers_pb2.EntityIdentifiers(user_ids=identifiers_pb2.UserIdentifiers(user_id=row.user_id)),
        contact_info=[
            contact_info_pb2.ContactInfo(
                contact_type=contact_info_pb2.CONTACT_TYPE_OTHER,
                contact_method=contact_info_pb2.CONTACT_METHOD_EMAIL,
                value=row.email,
            )
        ],
    )
    msg.created_at.CopyFrom(timestamp(row.created_at))
    msg.updated_at.CopyFrom(timestamp(row.updated_at))
    msg.expires_at.CopyFrom(timestamp(row.expires_at))
    return msg


class ContactInfo:
    def __init__(
        self,
        store: ValidationStore,
        users: EntityStore[user_pb2.User],
        auth: Authorizer,
        mailer: Mailer,
        *,
        ttl: timedelta,
        link_base: str,
        notify: Notify = _silent,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._users = users
        self._auth = auth
        self._mailer = mailer
        self._ttl = ttl
        self._link_base = link_base.rstrip("/")
        self._notify = notify
        self._clock = clock

    async def request_validation(self, caller: Caller, user_id: str) -> contact_info_pb2.ContactInfoValidation:
        """Queue a validation mail for the user's primary address; the token travels only by mail."""
        await self._auth.require(caller, "user", user_id, rights_pb2.RIGHT_USER_SETTINGS_BASIC)
        user = await self._users.get(caller.tenant_id, user_id)
        if user is None:
            raise errors.not_found(entity_type="user", entity_id=user_id)
        email = user.primary_email_address
        if not email:
            raise errors.no_email_address(user_id=user_id)
        if user.HasField("primary_email_address_validated_at"):
            raise errors.already_validated(user_id=user_id)
        pending = await self._store.pending(caller.tenant_id, user_id, email)
        if pending is not None:
            raise errors.validation_pending(expires_at=pending.expires_at.isoformat(timespec="seconds"))
        validation_id, secret, _ = credentials.new_token(_TOKEN_PREFIX)
        row = await self._store.create(
            caller.tenant_id,
            validation_id,
            credentials.hash_secret(secret),
            user_id,
            email,
            self._clock() + self._ttl,
        )
        await self._mailer.queue(caller.tenant_id, "validate", self._mail(row, secret))
        return validation_message(row)

    def _mail(self, row: ValidationRow, token: str) -> Email:
        body = (
            f"Hello {row.user_id},\n\n"
            f"please confirm that {row.email} is your e-mail address. Send this validation back\n"
            f"(PATCH {self._link_base}/api/v3/contact_info/validation with the id and token)\n"
            f"before {row.expires_at.isoformat(timespec='seconds')}:\n\n"
            f"id: {row.validation_id}\n"
            f"token: {token}\n\n"
            "If you did not ask for this, ignore this message.\n"
        )
        return Email(row.email, "Please validate your e-mail address", body)

    async def validate(self, tenant: str, validation_id: str, token: str) -> None:
        """Redeem a validation; wrong, expired or used tokens are refused without changing anything."""
        now = self._clock()

        def check(row: ValidationRow) -> None:
            if not hmac.compare_digest(row.token_hash, credentials.hash_secret(token)):
                raise errors.invalid_validation_token()
            if row.used_at is not None:
                raise errors.validation_token_used(validation_id=row.validation_id)
            if row.expires_at <= now:
                raise errors.validation_token_expired(validation_id=row.validation_id)

        if not validation_id or not token:
            raise errors.invalid_validation_token()
        row = await self._store.redeem(tenant, validation_id, check)
        await self._notify("is.contact_info.validate", tenant, "user", row.user_id)
