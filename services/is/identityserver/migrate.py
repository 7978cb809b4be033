"""``python -m identityserver migrate``: create the database if needed, apply migrations."""

from __future__ import annotations

from pathlib import Path

from lorastack.storage import postgres

__all__ = ["MIGRATIONS_DIR", "migrate"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


async def migrate(database_url: str) -> list[str]:
    """Bring the schema up to date; returns the names of the migrations applied now."""
    await postgres.create_database(database_url)
    return await postgres.apply_migrations(database_url, postgres.load_migrations(MIGRATIONS_DIR))
