"""Migration 0005 builds exactly the hearing tables the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.base import Base
from storage.db import create_engine
from storage.migrate import current_revision

HEARING_TABLES = {"hearings", "hearing_rsvps", "hearing_questions", "hearing_feedback"}


def _touches_hearings(diff: Any) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    text = repr(items)
    return any(f"'{table}'" in text or f"table={table}" in text for table in HEARING_TABLES)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [diff for diff in compare_metadata(context, Base.metadata) if _touches_hearings(diff)]


async def test_schema_matches_the_models(migrated_url: str) -> None:
    assert (
        await current_revision(migrated_url) == "0017_index_figures"
    )  # the one head, which includes 0005_hearings
    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
