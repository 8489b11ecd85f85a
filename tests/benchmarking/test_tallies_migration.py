"""Migration 0016_answer_tallies counts the answers already stored, in the periods already defined, on
SQLite and PostgreSQL; taken down and applied again, it counts them the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, create_engine_unpooled, session_factory, unit_of_work
from storage.migrate import alembic_config, upgrade
from storage.seed import seed_municipalities
from tests.benchmarking.index_data import IN_BASELINE, IN_FOLLOWUP, answer_as, periods, two_surveys
from tests.surveys.people import add_person

BEFORE = "0016_staff_notices"  # every head but the tallies' branch (0016_answer_tallies and after it)
BETWEEN_PERIODS = datetime(2026, 7, 15, 10, tzinfo=UTC)
# Counted by hand from the answers below: (period, question, reading language, value) -> answers.
EXPECTED = {
    ("2026-baseline", "aware_hearings", "ka", '"yes"'): 1,
    ("2026-baseline", "suggestion", "ka", "{}"): 1,  # free text is counted, its words are not kept
    ("2027-followup", "aware_hearings", "az", '"no"'): 1,
}


async def _answers_before_the_tallies(url: str) -> None:
    """A Georgian reader in the baseline (one answer declined), an Azerbaijani one in the follow-up; not
    counted: a simulated person, and an answer between the periods."""
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await seed_municipalities(session)
            await periods(session)
            record = (await two_surveys(session))[0]
            answers: list[tuple[str, dict[str, Any], datetime, bool]] = [
                (
                    "ka",
                    {"aware_hearings": "yes", "suggestion": "Evening hearings", "trust": 4},
                    IN_BASELINE,
                    False,
                ),
                ("az", {"aware_hearings": "no"}, IN_FOLLOWUP, False),
                ("ka", {"aware_hearings": "yes"}, IN_BASELINE, True),
                ("ka", {"aware_hearings": "yes"}, BETWEEN_PERIODS, False),
            ]
            for language, given, at, simulated in answers:
                person = await add_person(session, municipality="dmanisi", language=language)
                person.simulated = simulated
                await answer_as(session, record, person, given, at, declined=frozenset({"trust"}))
    finally:
        await engine.dispose()


async def _tallies(url: str) -> dict[tuple[str, str, str, str], int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT p.name, t.question, t.language, CAST(t.value AS TEXT), sum(t.answers) FROM answer_tallies t"
                    " JOIN benchmark_periods p ON p.id = t.period_id"
                    " GROUP BY p.name, t.question, t.language, t.value HAVING sum(t.answers) <> 0"
                )
            )
            return {(name, q, lang, _json(value)): int(n) for name, q, lang, value, n in rows.all()}
    finally:
        await engine.dispose()


def _json(value: str) -> str:
    """The stored JSON value as one text on both databases (PostgreSQL's jsonb spaces it its own way)."""
    return json.dumps(json.loads(value))


async def _downgrade(url: str, revision: str) -> None:
    engine = create_engine_unpooled(url)

    def down(connection: Any) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    try:
        async with engine.begin() as conn:
            await AsyncConnection.run_sync(conn, down)
    finally:
        await engine.dispose()


async def test_the_answers_already_stored_are_tallied_and_tallied_again_after_a_downgrade(
    database_url: str,
) -> None:
    await upgrade(database_url, BEFORE)
    await _answers_before_the_tallies(database_url)
    await upgrade(database_url)
    assert await _tallies(database_url) == EXPECTED
    await _downgrade(database_url, BEFORE)
    await upgrade(database_url)
    assert await _tallies(database_url) == EXPECTED
