"""Data for the survey-answers benchmark: a fresh database with people and an open survey, the Telegram
updates they send, and the count that proves every answer was stored exactly once."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select

from channels.message import Content
from storage.db import create_engine, session_factory, unit_of_work
from storage.migrate import upgrade
from storage.models import Channel, ChannelIdentity, Contact, ContactStatus, Municipality
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse
from storage.seed import seed_municipalities
from surveys import lifecycle
from surveys.definition import Option, Question, QuestionKind, Survey

PG_ADMIN_DSN = os.environ.get("CIVICBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_USER_ID = 5_000_000_001
OPTIONS = 4


@dataclass(frozen=True)
class Person:
    user_id: int
    response_id: int = 0


async def new_database(backend: str, workdir: Path) -> str:
    """A new empty database: a SQLite file in `workdir`, or a new database on the PostgreSQL server."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    name = f"civicbot_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


async def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


def benchmark_survey(questions: int) -> Survey:
    """`questions` single-choice questions of four options: every answer is one button press."""
    return Survey.create(
        code="bench-survey",
        title=Content({"en": "Benchmark"}),
        languages=["en"],
        base_language="en",
        questions=[
            Question(
                name=f"q{index}",
                kind=QuestionKind.SINGLE_CHOICE,
                label=Content({"en": f"Question {index + 1}: how do you rate service {index + 1}?"}),
                choices=tuple(Option(f"o{n}", Content({"en": f"Option {n}"})) for n in range(1, OPTIONS + 1)),
            )
            for index in range(questions)
        ],
    )


async def prepare(url: str, people: int, questions: int) -> int:
    """Migrate, seed, add `people` signed-up Telegram users and open the survey; returns its id."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            await seed_municipalities(session)
            marneuli = await session.scalar(select(Municipality.id).where(Municipality.code == "marneuli"))
            consent = datetime.now(UTC) - timedelta(days=1)
            for start in range(0, people, 500):
                batch = range(start, min(start + 500, people))
                ids = (
                    await session.scalars(
                        insert(Contact).returning(Contact.id),
                        [
                            {
                                "language": "en",
                                "municipality_id": marneuli,
                                "status": ContactStatus.ACTIVE,
                                "consent_at": consent,
                                "consent_version": "bench",
                                "topics": [],
                                "tags": [],
                                "dialog_data": {},
                            }
                            for _ in batch
                        ],
                    )
                ).all()
                await session.execute(
                    insert(ChannelIdentity),
                    [
                        {
                            "contact_id": contact_id,
                            "channel": Channel.TELEGRAM,
                            "address": str(FIRST_USER_ID + n),
                            "chat_id": str(FIRST_USER_ID + n),
                        }
                        for contact_id, n in zip(ids, batch, strict=True)
                    ],
                )
            record, _ = await lifecycle.import_survey(session, benchmark_survey(questions), "yaml")
            await lifecycle.open_survey(session, record.code)
            return record.id
    finally:
        await engine.dispose()


async def responses_by_user(url: str) -> dict[int, int]:
    """Telegram user id -> response id, once every person has started the survey."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(ChannelIdentity.address, SurveyResponse.id).join(
                    SurveyResponse, SurveyResponse.contact_id == ChannelIdentity.contact_id
                )
            )
            return {int(address): response_id for address, response_id in rows.all()}
    finally:
        await engine.dispose()


async def stored(url: str) -> tuple[int, int, int]:
    """(answers, distinct (response, question) pairs, completed responses)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            answers = await session.scalar(select(func.count()).select_from(SurveyAnswer))
            pairs = await session.scalar(
                select(func.count()).select_from(
                    select(SurveyAnswer.response_id, SurveyAnswer.question).distinct().subquery()
                )
            )
            completed = await session.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .where(SurveyResponse.status == ResponseStatus.COMPLETED)
            )
            return int(answers or 0), int(pairs or 0), int(completed or 0)
    finally:
        await engine.dispose()


async def wait_stored(
    url: str, expected: int, patience: float = 30.0, table: Any = SurveyAnswer
) -> tuple[float, int]:
    """When the rows of `table` (answers; responses for the starts) reached `expected` (perf_counter), or
    when they stopped growing for `patience` seconds; and how many there were. A webhook may answer before
    the work is stored (civicbot spools what the database does not take within its budget), so the
    answered requests alone do not say it."""
    engine = create_engine(url)
    try:
        count, grew = -1, time.perf_counter()
        while True:
            async with engine.connect() as conn:
                now = int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            if now != count:
                count, grew = now, time.perf_counter()
            if count >= expected or time.perf_counter() - grew > patience:
                return grew, count
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


class Updates:
    """Real Telegram updates: a callback query from a private chat, pressing a button under a message."""

    def __init__(self) -> None:
        self._update_id = 700_000_000
        self._query_id = 8_100_000_000_000_000_000

    def press(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        self._update_id += 1
        self._query_id += 1
        user = {"id": user_id, "is_bot": False, "first_name": "Nino", "language_code": "en"}
        chat = {"id": user_id, "first_name": "Nino", "type": "private"}
        bot = {"id": 123456789, "is_bot": True, "first_name": "Civic Bot", "username": "civicbot_test_bot"}
        message = {"message_id": message_id, "from": bot, "chat": chat, "date": 1_780_000_000, "text": "…"}
        query = {"id": str(self._query_id), "from": user, "message": message,
                 "chat_instance": str(user_id * 7), "data": data}  # fmt: skip
        return {"update_id": self._update_id, "callback_query": query}


def answer_rounds(people: list[Person], questions: int, updates: Updates) -> Iterator[list[dict[str, Any]]]:
    """One list per question round: each person's press on the question's message (intro is message 1,
    question q is message q + 2: each answer edits the tapped message and sends the next one)."""
    for index in range(questions):
        yield [
            updates.press(
                person.user_id, index + 2, f"sa:{person.response_id}:{index}:{1 + (index + n) % OPTIONS}"
            )
            for n, person in enumerate(people)
        ]
