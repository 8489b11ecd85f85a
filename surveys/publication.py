"""Results a coordinator has made public, as the public page of a municipality shows them.

Only what `surveys.results` already protects is shown, and only the column of the page's municipality
(the breakdown by municipality, so suppression also holds across the pages of different municipalities):
counts under 5 appear as hidden, a municipality with fewer than 5 respondents shows no counts at all.
Free-text and number answers are never shown (only their count of answers is a result, and a number's
spread could identify someone in a small place); nothing else about respondents is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.message import Content
from contacts.registry import audit
from storage.base import utcnow
from storage.models import Municipality
from storage.models.surveys import SurveyRecord, SurveyStatus
from surveys import lifecycle
from surveys.definition import DECLINED, QuestionKind
from surveys.disclosure import HIDDEN, MIN_GROUP
from surveys.results import NO_ANSWER, Dimension, survey_results

CHARTED = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.RATING, QuestionKind.YES_NO)
SPECIAL_ROWS = (DECLINED, NO_ANSWER)


class NotFound(LookupError):
    """No survey by that code or number."""


@dataclass(frozen=True)
class PublicRow:
    value: str
    label: Content | None  # None for the special rows (declined, no answer) and bare scale points
    count: int | None  # None: hidden (fewer than 5, or it would give a hidden count away)
    percent: float | None


@dataclass(frozen=True)
class PublicQuestion:
    name: str
    label: Content
    kind: QuestionKind
    respondents: int | None  # None: hidden
    rows: tuple[PublicRow, ...]


@dataclass(frozen=True)
class PublicSurvey:
    id: int
    code: str
    title: Content
    open: bool
    respondents: int | None  # in this municipality; None: fewer than 5, so nothing is shown
    questions: tuple[PublicQuestion, ...]


async def _record(session: AsyncSession, code_or_id: str) -> SurveyRecord:
    record = await lifecycle.survey_by_code(session, code_or_id)
    if record is None and code_or_id.isdigit():
        record = await session.get(SurveyRecord, int(code_or_id))
    if record is None:
        raise NotFound(code_or_id)
    return record


async def publish(
    session: AsyncSession, code_or_id: str, *, public: bool, actor: str, now: datetime | None = None
) -> SurveyRecord:
    """Show (or stop showing) the survey's protected results on the public pages; audited."""
    now = now or utcnow()
    record = await _record(session, code_or_id)
    if record.public != public:
        record.public = public
        record.published_at = now if public else None
        action = "survey.published" if public else "survey.unpublished"
        await audit(session, actor, action, f"survey:{record.id}", details={"code": record.code}, now=now)
        await session.flush()
    return record


async def public_results(
    session: AsyncSession, municipality: Municipality, *, with_simulated: int | None = None
) -> list[PublicSurvey]:
    """The public surveys meant for this municipality, newest first, with this municipality's results
    (`with_simulated`: also counting that simulated person's answers, for their own eyes only)."""
    records = (
        await session.scalars(
            select(SurveyRecord)
            .where(SurveyRecord.public.is_(True), SurveyRecord.status != SurveyStatus.DRAFT)
            .order_by(SurveyRecord.published_at.desc(), SurveyRecord.id.desc())
        )
    ).all()
    found = []
    for record in records:
        if record.target_municipalities and municipality.code not in record.target_municipalities:
            continue
        found.append(await _public_survey(session, record, municipality.code, with_simulated))
    return found


async def _public_survey(
    session: AsyncSession, record: SurveyRecord, code: str, with_simulated: int | None
) -> PublicSurvey:
    results = await survey_results(session, record, by=Dimension.MUNICIPALITY, with_simulated=with_simulated)
    survey = results.survey
    questions: list[PublicQuestion] = []
    largest: int | None = 0
    for result in results.questions:
        grid = result.breakdown
        if grid is None or result.question.kind not in CHARTED:
            continue
        size = grid.show(("column", code)) if code in grid.columns else 0
        respondents = size if isinstance(size, int) else None
        if respondents is not None and largest is not None:
            largest = max(largest, respondents)
        rows = []
        for row in result.rows:
            shown = grid.show(("cell", row, code)) if code in grid.columns else 0
            count = shown if isinstance(shown, int) else None
            percent = round(100 * count / respondents, 1) if count is not None and respondents else None
            option = result.question.option(row)
            rows.append(PublicRow(row, option.label if option else None, count, percent))
        questions.append(
            PublicQuestion(
                result.question.name, result.question.label, result.question.kind, respondents, tuple(rows)
            )
        )
    respondents = largest if largest and largest >= MIN_GROUP else None
    is_open = record.status == SurveyStatus.OPEN
    return PublicSurvey(record.id, record.code, survey.title, is_open, respondents, tuple(questions))


__all__ = ["HIDDEN", "NotFound", "PublicQuestion", "PublicRow", "PublicSurvey", "public_results", "publish"]
