"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

import storage.models  # noqa: F401
from storage.base import Base
from storage.db import create_engine
from storage.migrate import current_revision, upgrade


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [d for d in compare_metadata(context, Base.metadata) if not _ignorable(d)]


def _ignorable(diff: Any) -> bool:
    # SQLite reports no server-side names for some unnamed constraints; nothing else is tolerated.
    return isinstance(diff, tuple) and diff[0] in {"remove_index"} and "sqlite" in str(diff)


async def test_upgrade_builds_the_models_schema(database_url: str) -> None:
    await upgrade(database_url)
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        diffs = await connection.run_sync(_diff)
    await engine.dispose()
    assert diffs == []


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    await upgrade(database_url)
    first = await current_revision(database_url)
    await upgrade(database_url)
    assert await current_revision(database_url) == first
    assert first is not None


def test_the_migrations_have_one_head() -> None:
    """Branches built in parallel are joined by a merge revision: `db upgrade` reaches one schema."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_heads()
    assert heads == ["0017_index_figures"]
