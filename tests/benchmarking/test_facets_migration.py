"""Migration 0014_response_facets backfills the municipality of the responses already stored, in SQL, on
SQLite and PostgreSQL: each takes its person's municipality; a response whose person is gone has none."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import upgrade

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_existing_responses_take_their_persons_municipality(database_url: str) -> None:
    await upgrade(database_url, "0006_merge")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO municipalities (id, code, names, official_names, default_language, timezone,"
                    " sms_latin) VALUES (7, 'dmanisi', '{}', '{}', 'ka', 'Asia/Tbilisi', false)"
                )
            )
            for contact_id, municipality_id in ((1, 7), (2, None)):
                await conn.execute(
                    text(
                        "INSERT INTO contacts (id, language, municipality_id, status, topics, tags,"
                        " dialog_data, created_at, updated_at)"
                        " VALUES (:id, 'hy', :m, 'active', '[]', '[]', '{}', :now, :now)"
                    ),
                    {"id": contact_id, "m": municipality_id, "now": NOW},
                )
            await conn.execute(
                text(
                    "INSERT INTO surveys (id, code, definition, fingerprint, source, revision, status,"
                    " target_municipalities, target_languages, target_topics, created_at, updated_at)"
                    " VALUES (1, 'poll', '{}', 'f', 'yaml', 1, 'open', '[]', '[]', '[]', :now, :now)"
                ),
                {"now": NOW},
            )
            responses: tuple[tuple[int, int | None], ...] = ((1, 1), (2, 2), (3, None))
            for response_id, owner in responses:
                await conn.execute(
                    text(
                        "INSERT INTO survey_responses (id, survey_id, contact_id, channel, language, status,"
                        " position, draft, started_at, updated_at)"
                        " VALUES (:id, 1, :c, 'sms', 'hy', 'completed', 0, '[]', :now, :now)"
                    ),
                    {"id": response_id, "c": owner, "now": NOW},
                )
        await upgrade(database_url, "0014_response_facets")
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT id, municipality_id FROM survey_responses ORDER BY id"))
            assert [tuple(row) for row in rows.all()] == [(1, 7), (2, None), (3, None)]
    finally:
        await engine.dispose()
