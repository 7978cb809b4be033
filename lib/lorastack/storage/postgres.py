"""PostgreSQL: an async connection pool, database creation and ordered migrations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool

__all__ = ["Migration", "apply_migrations", "create_database", "load_migrations", "open_pool"]

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(directory: Path) -> list[Migration]:
    """Migrations named ``NNNN_description.sql``, in version order."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name} is not named NNNN_description.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a version number")
    return found


async def create_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True when created."""
    params = conninfo_to_dict(url)
    name = str(params.get("dbname") or "")
    if not name:
        raise ValueError("the database URL names no database")
    admin = make_conninfo(url, dbname="postgres")
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        cur = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if await cur.fetchone():
            return False
        try:
            await conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False  # created concurrently by another process
        return True


async def apply_migrations(url: str, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction; returns their names.

    An advisory lock makes concurrent runs (two replicas starting) take turns.
    """
    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(7266832)")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await conn.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in await cur.fetchall()}
            for migration in migrations:
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql.encode())
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(7266832)")
    return applied


def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    """A pool that is opened by the caller (``await pool.open()``)."""
    return AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False)
