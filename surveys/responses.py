"""Responses and answers in the database: where a person is in a survey, and what they answered.

Storing is idempotent by construction: a response is inserted with ON CONFLICT DO NOTHING on
(survey, contact) and an answer on (response, question), so two replicas, a double tap or a re-sent
update that slip past every other check still store one response and one answer. Progress counts only
the questions a person is asked: notes are shown but not counted, and questions that skip logic leaves
out are not counted either (ODK's rules: an unanswered question compares as empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from storage.models import Channel, Contact
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyRecord, SurveyResponse
from surveys.definition import Answer, AnswerValue, QuestionKind, Survey
from surveys.logic import is_relevant

# The statements every answer runs are built once, with bound parameters: building one per call and
# computing its cache key cost about as much as running it (0.56 against 0.29 ms for the response).
_RESPONSE_WITH_SURVEY = (
    select(SurveyResponse, SurveyRecord)
    .join(SurveyRecord, SurveyRecord.id == SurveyResponse.survey_id)
    .where(SurveyResponse.id == bindparam("response_id"))
    .options(defer(SurveyRecord.definition))
)


@cache
def _insert_ignoring(model: Any, keys: tuple[str, ...], dialect: str) -> Any:
    """Of the model's table, not the model: the ORM would run it as a bulk INSERT, without a row count."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys))


async def _insert_new(session: AsyncSession, table: Any, keys: list[str], **values: Any) -> bool:
    """INSERT ... ON CONFLICT (keys) DO NOTHING on either database; True when a row was inserted."""
    statement = _insert_ignoring(table, tuple(keys), session.get_bind().dialect.name)
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0))


async def response_with_survey(
    session: AsyncSession, response_id: int
) -> tuple[SurveyResponse, SurveyRecord] | None:
    """One round trip for what every answer needs: the response and its survey (without its document,
    which `lifecycle.survey_of` has cached). Without autoflush: it reads only this person's response, and
    in a shared transaction (`storage.group_commit`) the other people's answered responses then wait for
    the commit, where the ORM writes them with one statement instead of one flush each."""
    with session.no_autoflush:
        row = (await session.execute(_RESPONSE_WITH_SURVEY, {"response_id": response_id})).first()
    return (row[0], row[1]) if row else None


async def response_of(session: AsyncSession, survey_id: int, contact_id: int) -> SurveyResponse | None:
    return await session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.contact_id == contact_id
        )
    )


async def start_response(
    session: AsyncSession, record: SurveyRecord, contact: Contact, channel: Channel, now: datetime
) -> tuple[SurveyResponse, bool]:
    """The person's response to the survey, created when there is none; True when it was created."""
    created = await _insert_new(
        session,
        SurveyResponse,
        ["survey_id", "contact_id"],
        survey_id=record.id,
        contact_id=contact.id,
        channel=str(channel),
        language=contact.language,
        municipality_id=contact.municipality_id,  # where they live now, kept if they move later
        status=ResponseStatus.STARTED,
        position=0,
        draft=[],
        started_at=now,
        updated_at=now,
    )
    response = await response_of(session, record.id, contact.id)
    assert response is not None  # inserted now or earlier; the row is never deleted with the person
    return response, created


async def completed_survey_ids(session: AsyncSession, contact_id: int) -> set[int]:
    rows = await session.scalars(
        select(SurveyResponse.survey_id).where(
            SurveyResponse.contact_id == contact_id, SurveyResponse.status == ResponseStatus.COMPLETED
        )
    )
    return set(rows.all())


async def answers_of(session: AsyncSession, survey: Survey, response_id: int) -> dict[str, Answer]:
    """The answers so far, which skip logic and progress look at; a survey without skip logic needs
    none of them, and the query is saved (it runs for every answer)."""
    if not any(question.relevant is not None for question in survey.questions):
        return {}
    rows = await session.execute(
        select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.declined).where(
            SurveyAnswer.response_id == response_id
        )
    )
    return {name: Answer(from_json(value), declined) for name, value, declined in rows.all()}


async def store_answer(
    session: AsyncSession, response_id: int, question: str, answer: Answer, now: datetime
) -> bool:
    """Insert the answer unless this question already has one; True when this call stored it. Without
    autoflush, as `response_with_survey`: the row needs nothing pending, only its stored response."""
    with session.no_autoflush:
        return await _insert_new(
            session,
            SurveyAnswer,
            ["response_id", "question"],
            response_id=response_id,
            question=question,
            value=to_json(answer.value),
            declined=answer.declined,
            answered_at=now,
        )


def to_json(value: AnswerValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def from_json(value: Any) -> AnswerValue:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def advance(survey: Survey, start: int, answers: Mapping[str, Answer]) -> tuple[int, list[int]]:
    """The index of the next question to ask at or after `start` (len(questions) when none is left),
    and the indexes of the relevant notes passed on the way, to show before it."""
    notes: list[int] = []
    for index in range(start, len(survey.questions)):
        question = survey.questions[index]
        if not is_relevant(question, answers):
            continue
        if question.kind is QuestionKind.NOTE:
            notes.append(index)
            continue
        return index, notes
    return len(survey.questions), notes


def progress(survey: Survey, position: int, answers: Mapping[str, Answer]) -> tuple[int, int]:
    """("this is question n", "of total"), counting only the questions this person is asked. A later
    question whose skip logic looks at a question not answered yet still counts, so the total can only
    shrink as answers come in (3/7 may become 4/6), never grow under the person."""
    decided = {question.name for question in survey.questions[:position]}
    asked = 0
    total = 0
    for index, question in enumerate(survey.questions):
        if question.kind is QuestionKind.NOTE:
            continue
        waiting = question.relevant is not None and not question.relevant.names() <= decided
        if waiting or is_relevant(question, answers):  # waiting: its skip logic needs a later answer
            total += 1
            asked += index < position
    return asked + 1, max(total, asked + 1)
