"""``python -m identityserver bootstrap``: migrate, then create the first admin user and its API key once.

The key is stored hashed, so only the run that creates it can print it.
"""

from __future__ import annotations

import secrets as _random
from dataclasses import dataclass

from identityserver.auth import Caller
from identityserver.config import IdentityServerConfig
from identityserver.migrate import migrate
from identityserver.pgstore.common import Page
from identityserver.server import wire
from lorastack.storage import postgres
from ttn.lorawan.v3 import identifiers_pb2, rights_pb2, user_pb2

__all__ = ["ADMIN_KEY_NAME", "BootstrapResult", "bootstrap"]

ADMIN_KEY_NAME = "bootstrap admin key"


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    user_id: str
    created_user: bool
    generated_password: str | None
    api_key: str | None


async def bootstrap(config: IdentityServerConfig, *, user_id: str = "admin") -> BootstrapResult:
    await migrate(config.database_url)
    pool = postgres.open_pool(config.database_url, max_size=2)
    await pool.open()
    try:
        server = wire(config, pool)
        caller = Caller(config.default_tenant, cluster=True)
        created = False
        generated: str | None = None
        if await server.users.registry.store.get(caller.tenant_id, user_id) is None:
            password = config.is_admin_password
            if not password:
                password = generated = _random.token_urlsafe(18)
            user = user_pb2.User(
                ids=identifiers_pb2.UserIdentifiers(user_id=user_id),
                name="Administrator",
                admin=True,
                password=password,
            )
            await server.users.create(caller, user)
            created = True
        keys, _ = await server.access.list_keys(caller, "user", user_id, Page())
        if any(k.name == ADMIN_KEY_NAME for k in keys):
            return BootstrapResult(user_id, created, generated, None)
        key = await server.access.create_key(caller, "user", user_id, ADMIN_KEY_NAME, [rights_pb2.RIGHT_ALL], None)
        return BootstrapResult(user_id, created, generated, key.key)
    finally:
        await pool.close()
