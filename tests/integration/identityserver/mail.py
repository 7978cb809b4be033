"""Read what the IS queued in its e-mail outbox (the tests' mailbox)."""

from __future__ import annotations

import re

from identityserver.pgstore.outbox import OutboxRow, OutboxStore
from integration.identityserver.harness import Server
from lorastack.storage import postgres


async def outbox(server: Server, recipient: str, tenant: str = "default") -> list[OutboxRow]:
    pool = postgres.open_pool(server.config.database_url, max_size=1)
    await pool.open()
    try:
        return await OutboxStore(pool).messages(tenant, recipient)
    finally:
        await pool.close()


def field(body: str, name: str) -> str:
    """A ``name: value`` line of a mail body."""
    match = re.search(rf"^{name}: (\S+)$", body, re.MULTILINE)
    assert match is not None, body
    return match.group(1)


async def sql(server: Server, statement: str, *args: object) -> None:
    pool = postgres.open_pool(server.config.database_url, max_size=1)
    await pool.open()
    try:
        async with pool.connection() as conn:
            await conn.execute(statement, args)  # type: ignore[arg-type]
    finally:
        await pool.close()
