"""What other domains store about one person, read for the right of access and cut down for erasure.

`contacts` sits below surveys and hearings, so it reads their tables, never their code: a survey's labels
come from the definition document stored with it (`surveys.yaml_format.survey_to_data`: `questions`,
each with `name`, `kind`, `label` and `choices`), a hearing's title from its row. Action-plan follow-ups
are any `action_plan_*` table with a `contact_id` column, counted, so a table added later is listed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import N_, Content, Joined, Literal, Renderable, Text
from storage.base import Base
from storage.models.deliveries import Delivery
from storage.models.hearings import Hearing, HearingQuestion, HearingRsvp, QuestionStatus, Rsvp
from storage.models.surveys import SurveyAnswer, SurveyRecord, SurveyResponse

RSVP_LABELS: Mapping[str, str] = {
    Rsvp.GOING: N_("I will come"),
    Rsvp.MAYBE: N_("Maybe"),
    Rsvp.NOT_GOING: N_("I will not come"),
}
_FREE_TEXT = "text"


def _content(texts: Mapping[str, str], fallback: str | None) -> Content:
    return Content(dict(texts), fallback=fallback or next(iter(texts), None))


def _questions(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(q.get("name")): q for q in definition.get("questions", []) if isinstance(q, Mapping)}


def _answer_text(question: Mapping[str, Any], value: Any, declined: bool, fallback: str) -> Renderable:
    if declined:
        return Text("Prefer not to answer")
    if value is None or value == []:
        return Literal("—")
    labels = {str(c.get("value")): c.get("label", {}) for c in question.get("choices", [])}
    values = value if isinstance(value, list) else [value]
    parts: list[Text | Content | Literal | Joined] = [
        _content(labels[str(v)], fallback) if labels.get(str(v)) else Literal(str(v)) for v in values
    ]
    return parts[0] if len(parts) == 1 else Joined(parts)


async def survey_answers(session: AsyncSession, contact_id: int) -> list[Renderable]:
    """One block per survey: «title», then each answered question and the answer in the reader's words."""
    rows = (
        await session.execute(
            select(
                SurveyRecord.definition,
                SurveyResponse.id,
                SurveyAnswer.question,
                SurveyAnswer.value,
                SurveyAnswer.declined,
            )
            .join(SurveyResponse, SurveyResponse.survey_id == SurveyRecord.id)
            .outerjoin(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyResponse.contact_id == contact_id)
            .order_by(SurveyResponse.id, SurveyAnswer.id)
        )
    ).all()
    blocks: dict[int, list[Renderable]] = {}
    for definition, response_id, name, value, declined in rows:
        base = str(definition.get("base_language") or "en")
        block = blocks.setdefault(
            response_id, [Text.of("Survey “{title}”:", title=_content(definition.get("title", {}), base))]
        )
        question = _questions(definition).get(str(name)) if name is not None else None
        if question is None:
            continue
        label = _content(question.get("label", {}), base)
        block.append(
            Joined(
                [Literal("  "), label, Literal(": "), _answer_text(question, value, declined, base)], sep=""
            )
        )
    return [Joined(block, sep="\n") for block in blocks.values()]


async def hearing_replies(session: AsyncSession, contact_id: int) -> list[Renderable]:
    """RSVPs (with the name, where a hearing needs names) and questions sent in advance."""
    lines: list[Renderable] = []
    rsvps = (
        await session.execute(
            select(Hearing, HearingRsvp)
            .join(HearingRsvp, HearingRsvp.hearing_id == Hearing.id)
            .where(HearingRsvp.contact_id == contact_id)
            .order_by(Hearing.starts_at)
        )
    ).all()
    for hearing, rsvp in rsvps:
        title = _content(hearing.title, hearing.fallback_language)
        answer = Text(RSVP_LABELS.get(rsvp.answer, rsvp.answer))
        line = Text.of(
            "Hearing “{title}” ({start}): {answer}", title=title, start=hearing.starts_at, answer=answer
        )
        lines.append(Joined([line, Literal(rsvp.name)], sep=", ") if rsvp.name else line)
    questions = (
        await session.execute(
            select(Hearing, HearingQuestion)
            .join(HearingQuestion, HearingQuestion.hearing_id == Hearing.id)
            .where(HearingQuestion.contact_id == contact_id, HearingQuestion.status != QuestionStatus.ERASED)
            .order_by(HearingQuestion.received_at)
        )
    ).all()
    for hearing, question in questions:
        title = _content(hearing.title, hearing.fallback_language)
        lines.append(Text.of("Your question for “{title}”: {text}", title=title, text=Literal(question.text)))
    return lines


def _action_plan_tables() -> Sequence[Table]:
    return [
        table
        for name, table in sorted(Base.metadata.tables.items())
        if name.startswith("action_plan") and "contact_id" in table.c
    ]


async def action_plan_follow_ups(session: AsyncSession, contact_id: int) -> int:
    total = 0
    for table in _action_plan_tables():
        count = await session.scalar(
            select(func.count()).select_from(table).where(table.c.contact_id == contact_id)
        )
        total += int(count or 0)
    return total


async def messages_sent(session: AsyncSession, contact_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.contact_id == contact_id)
    )
    return int(count or 0)


async def forget_free_text(session: AsyncSession, contact_id: int) -> int:
    """Blank the person's answers to free-text questions: words can name or identify someone, so they do
    not stay "anonymous" after erasure (choices and numbers do). The rows stay, so counts still add up."""
    rows = (
        await session.execute(
            select(SurveyAnswer.id, SurveyAnswer.question, SurveyRecord.definition)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(SurveyRecord, SurveyRecord.id == SurveyResponse.survey_id)
            .where(SurveyResponse.contact_id == contact_id)
        )
    ).all()
    ids = [
        answer_id
        for answer_id, name, definition in rows
        if _questions(definition).get(name, {}).get("kind") == _FREE_TEXT
    ]
    if ids:
        await session.execute(
            update(SurveyAnswer).where(SurveyAnswer.id.in_(ids)).values(value=None),
            execution_options={"synchronize_session": False},
        )
    return len(ids)
