"""Answers, hearings and periods for the index tests, written straight into the database.

Answers are stored the way the survey engine stores them (`surveys.responses.to_json`); one test in
test_index.py also answers through the engine itself, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.periods import add_period
from storage.models import Contact, Municipality
from storage.models.hearings import Hearing, HearingQuestion, HearingStatus, QuestionStatus
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyRecord, SurveyResponse
from surveys import lifecycle
from surveys.responses import to_json
from surveys.yaml_format import load_survey_yaml
from tests.surveys.people import EXAMPLES, add_person, open_example

BASELINE = ("2026-baseline", date(2026, 1, 1), date(2026, 6, 30))
FOLLOWUP = ("2027-followup", date(2027, 1, 1), date(2027, 6, 30))
IN_BASELINE = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
IN_FOLLOWUP = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)


async def periods(session: AsyncSession) -> None:
    for name, start, end in (BASELINE, FOLLOWUP):
        await add_period(session, name, start, end, actor="test")


async def questionnaire(session: AsyncSession) -> SurveyRecord:
    return await open_example(session, "participation_questionnaire.yaml")


async def respond(
    session: AsyncSession,
    record: SurveyRecord,
    answers: Mapping[str, Any],
    *,
    municipality: str = "dmanisi",
    language: str = "ka",
    at: datetime = IN_BASELINE,
    declined: frozenset[str] = frozenset(),
) -> None:
    """One new person who answered `answers` ({question: value}) in `language` at `at`."""
    person = await add_person(session, municipality=municipality, language=language)
    person.consent_at = at - timedelta(days=1)  # a subscriber since before the answer
    stored = {question: to_json(value) for question, value in answers.items()}
    await answer_as(session, record, person, stored, at, language=language, declined=declined)


async def hearing(
    session: AsyncSession,
    *,
    municipality: str = "dmanisi",
    announced: datetime,
    days: float,
    questions: int = 0,
    answered: int = 0,
) -> Hearing:
    """A held hearing announced `days` before it started, with questions (the first `answered` considered)."""
    municipality_id = await session.scalar(select(Municipality.id).where(Municipality.code == municipality))
    assert municipality_id is not None
    item = Hearing(
        municipality_id=municipality_id,
        title={"ka": "განხილვა"},
        description={},
        place={},
        accessibility={},
        fallback_language="ka",
        starts_at=announced + timedelta(days=days),
        duration_minutes=60,
        status=HearingStatus.HELD,
        created_by="test",
        announced_at=announced,
    )
    session.add(item)
    await session.flush()
    for n in range(questions):
        person = await add_person(session, municipality=municipality)
        status = QuestionStatus.CONSIDERED if n < answered else QuestionStatus.RECEIVED
        session.add(HearingQuestion(hearing_id=item.id, contact_id=person.id, text=f"q{n}", status=status))
    await session.flush()
    return item


async def two_surveys(session: AsyncSession) -> list[SurveyRecord]:
    """The questionnaire, and the same under a follow-up code (participation-2027)."""
    first = await questionnaire(session)
    text = (EXAMPLES / "participation_questionnaire.yaml").read_text(encoding="utf-8")
    survey = load_survey_yaml(text.replace("code: participation-questionnaire", "code: participation-2027"))
    record, _ = await lifecycle.import_survey(session, survey, "yaml")
    return [first, await lifecycle.open_survey(session, record.code)]


async def answer_as(
    session: AsyncSession,
    record: SurveyRecord,
    contact: Contact,
    answers: dict[str, Any],
    at: datetime,
    *,
    language: str | None = None,
    declined: frozenset[str] = frozenset(),
) -> SurveyResponse:
    """`contact`'s response to `record` with `answers` ({question: stored JSON value}) at `at`."""
    response = SurveyResponse(
        survey_id=record.id,
        contact_id=contact.id,
        channel="telegram",
        language=language or contact.language,
        status=ResponseStatus.COMPLETED,
        started_at=at,
        completed_at=at,
    )
    session.add(response)
    await session.flush()
    for question, value in answers.items():
        session.add(
            SurveyAnswer(
                response_id=response.id,
                question=question,
                value=value,
                declined=question in declined,
                answered_at=at,
            )
        )
    await session.flush()
    return response
