"""Survey-based scores, aggregated in the database: one GROUP BY over the answers of every period.

Each survey indicator maps the answers of one question to scores with a SQL CASE over the answer's JSON
text (`"yes"`, `3`, or a list such as `["language", "timing"]` for multiple choice, where the first
listed value that was picked decides); the database returns only sums and counts per municipality,
period and language group, never the answers. Declined answers, empty answers and values the mapping
does not name (with no `otherwise`) are not counted. "Minority-language" respondents are those who
answered in Azerbaijani, Armenian or Russian.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import AnswerKey, Framework, Indicator, Source
from benchmarking.periods import Window
from storage.models import Contact
from storage.models.surveys import SurveyAnswer, SurveyRecord, SurveyResponse

MINORITY_LANGUAGES = ("az", "hy", "ru")
MINORITY, OTHERS = "minority", "others"


@dataclass(frozen=True)
class Tally:
    """The sum of scores and the number of answers scored, of one indicator, group and period."""

    total: float
    count: int


# (period name, municipality id, indicator code, group) -> Tally
Tallies = dict[tuple[str, int, str, str], Tally]


def _matches(text: ColumnElement[str], key: AnswerKey) -> ColumnElement[bool]:
    if isinstance(key, str):
        # A single value is its JSON string; a multiple-choice answer is a list that contains it.
        return text.like(
            "%" + json.dumps(key, ensure_ascii=False).replace("%", r"\%").replace("_", r"\_") + "%",
            escape="\\",
        )
    forms = {str(key), json.dumps(float(key))}
    if float(key).is_integer():
        forms.add(str(int(key)))
    return text.in_(sorted(forms))


def _score(indicators: Sequence[Indicator], survey_ids: dict[str, int]) -> ColumnElement[float]:
    text = cast(SurveyAnswer.value, Text)
    whens: list[tuple[ColumnElement[bool], ColumnElement[float]]] = []
    for item in indicators:
        asked = and_(
            SurveyResponse.survey_id == survey_ids[item.survey or ""], SurveyAnswer.question == item.question
        )
        for key, score in item.scores:
            whens.append((and_(asked, _matches(text, key)), literal(score, Float)))
        if item.otherwise is not None:
            whens.append((and_(asked, text.notin_(["null", "[]"])), literal(item.otherwise, Float)))
    return case(*whens, else_=None)


async def survey_ids(session: AsyncSession, framework: Framework) -> dict[str, int]:
    codes = {item.survey for item in framework.indicators() if item.source is Source.SURVEY}
    rows = await session.execute(
        select(SurveyRecord.code, SurveyRecord.id).where(SurveyRecord.code.in_(codes))
    )
    return dict(rows.all())


def tallies_query(framework: Framework, ids: dict[str, int], windows: Sequence[Window]) -> Select[Any] | None:
    """The one aggregate query (exposed for EXPLAIN in benchmarks/); None when nothing can be scored."""
    indicators = [
        item for item in framework.indicators() if item.source is Source.SURVEY and item.survey in ids
    ]
    if not indicators or not windows:
        return None
    period = case(
        *[
            (and_(SurveyAnswer.answered_at >= w.start, SurveyAnswer.answered_at < w.end), literal(w.name))
            for w in windows
        ],
        else_=None,
    ).label("period")
    group = case(
        (SurveyResponse.language.in_(MINORITY_LANGUAGES), literal(MINORITY)), else_=literal(OTHERS)
    ).label("grp")
    score = _score(indicators, ids)
    return (
        select(
            period,
            Contact.municipality_id,
            SurveyResponse.survey_id,
            SurveyAnswer.question,
            group,
            func.sum(score),
            func.count(score),
        )
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Contact, Contact.id == SurveyResponse.contact_id)
        .where(
            SurveyResponse.survey_id.in_(sorted({ids[item.survey or ""] for item in indicators})),
            SurveyAnswer.question.in_(sorted({item.question or "" for item in indicators})),
            SurveyAnswer.declined.is_(False),
            or_(
                *[
                    and_(SurveyAnswer.answered_at >= w.start, SurveyAnswer.answered_at < w.end)
                    for w in windows
                ]
            ),
        )
        .group_by(period, Contact.municipality_id, SurveyResponse.survey_id, SurveyAnswer.question, group)
    )


async def survey_tallies(session: AsyncSession, framework: Framework, windows: Sequence[Window]) -> Tallies:
    ids = await survey_ids(session, framework)
    query = tallies_query(framework, ids, windows)
    if query is None:
        return {}
    by_question = {
        (ids[item.survey or ""], item.question): item.code
        for item in framework.indicators()
        if item.source is Source.SURVEY and item.survey in ids
    }
    found: Tallies = {}
    rows = (await session.execute(query)).all()
    for period, municipality_id, survey_id, question, group, total, count in rows:
        if municipality_id is None or period is None or not count:
            continue
        code = by_question[(survey_id, question)]
        found[(period, municipality_id, code, group)] = Tally(float(total or 0), int(count))
    return found
