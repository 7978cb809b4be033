"""OAuth clients: the ClientRegistry's rules on top of the shared entity registry.

A client's secret is stored hashed and shown only by Create (or an Update that sets a new one);
its state, endorsement and authorization skipping are decided by administrators.
"""

from __future__ import annotations

import secrets as _random
from collections.abc import Sequence
from urllib.parse import urlsplit

from identityserver import credentials, errors, validation
from identityserver.auth import Authorizer, Caller
from identityserver.pgstore.clients import ClientSecrets
from identityserver.registry import EntitySpec, Registry
from ttn.lorawan.v3 import client_pb2, enums_pb2, rights_pb2

__all__ = ["CLIENT", "Clients", "check_redirect_uri"]

MAX_REDIRECT_URIS = 10
ADMIN_PATHS = frozenset({"state", "state_description", "endorsed", "skip_authorization"})


def check_redirect_uri(uri: str, field: str = "redirect_uris") -> None:
    """An absolute URI without a fragment (RFC 6749 section 3.1.2); custom schemes serve native apps."""
    parts = urlsplit(uri)
    if len(uri) > 2048 or not parts.scheme or parts.fragment or not (parts.netloc or parts.path):
        raise errors.invalid_field(field=field, reason=f"`{uri[:80]}` is not an absolute URI without fragment")


def _validate(client: client_pb2.Client) -> None:
    validation.check_id(client.ids.client_id, "client.ids.client_id")
    validation.check_common(client.name, client.description, client.attributes)
    validation.check_text(client.state_description, "state_description", 128)
    for field in ("redirect_uris", "logout_redirect_uris"):
        uris = getattr(client, field)
        if len(uris) > MAX_REDIRECT_URIS:
            raise errors.invalid_field(field=field, reason=f"at most {MAX_REDIRECT_URIS}")
        for uri in uris:
            check_redirect_uri(uri, field)
    for grant in client.grants:
        if grant not in client_pb2.GrantType.values():
            raise errors.invalid_field(field="grants", reason=f"unknown grant {grant}")
    for right in client.rights:
        if right not in rights_pb2.Right.values():
            raise errors.invalid_field(field="rights", reason=f"unknown right {right}")
    if client.state not in enums_pb2.State.values():
        raise errors.invalid_field(field="state", reason=f"unknown state {client.state}")


CLIENT = EntitySpec(
    "client",
    client_pb2.Client,
    lambda c: c.ids.client_id,
    _validate,
    read_only=("ids", "created_at", "updated_at", "deleted_at"),
)


def _new_secret() -> str:
    return _random.token_urlsafe(32)


class Clients:
    def __init__(self, registry: Registry[client_pb2.Client], secrets: ClientSecrets, auth: Authorizer) -> None:
        self.registry = registry
        self.secrets = secrets
        self._auth = auth

    @staticmethod
    def _admin_only(caller: Caller, client: client_pb2.Client, paths: Sequence[str]) -> None:
        touched = {p.split(".")[0] for p in paths} & ADMIN_PATHS
        if touched and not caller.universal:
            missing = "admin (" + ", ".join(sorted(touched)) + ")"
            raise errors.insufficient_rights(entity_type="client", entity_id=client.ids.client_id, missing=missing)

    async def create(
        self, caller: Caller, client: client_pb2.Client, collaborator: tuple[str, str]
    ) -> client_pb2.Client:
        """Create; a non-admin's client waits in the requested state for an administrator."""
        record = client_pb2.Client()
        record.CopyFrom(client)
        if not caller.universal:
            self._admin_only(caller, record, [name for name in ADMIN_PATHS if getattr(record, name)])
            record.state = enums_pb2.STATE_REQUESTED
        elif record.state == enums_pb2.STATE_REQUESTED:
            # Proto3 cannot tell "requested" from "not set"; an administrator's own client is approved.
            record.state = enums_pb2.STATE_APPROVED
        secret = record.secret or _new_secret()
        record.ClearField("secret")
        created = await self.registry.create(
            caller, record, collaborator, secrets={"secret_hash": await credentials.hash_password(secret)}
        )
        created.secret = secret
        return created

    async def update(self, caller: Caller, client: client_pb2.Client, paths: Sequence[str]) -> client_pb2.Client:
        self._admin_only(caller, client, paths)
        kept = [p for p in paths if p != "secret"]
        if len(kept) != len(paths):
            await self._auth.require(caller, "client", client.ids.client_id, rights_pb2.RIGHT_CLIENT_SETTINGS_BASIC)
            secret = client.secret or _new_secret()
            await self.secrets.set_secret(
                caller.tenant_id, client.ids.client_id, await credentials.hash_password(secret)
            )
        else:
            secret = ""
        if kept:
            updated = await self.registry.update(caller, client, kept)
        else:
            updated = await self.registry.get(caller, client.ids.client_id, [])
        updated.secret = secret
        return updated
