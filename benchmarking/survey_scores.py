"""Survey-based scores, aggregated in the database: one GROUP BY over the answers of each period.

Each survey indicator maps the answers of one question to scores with a SQL CASE over the answer's JSON
(`"yes"`, `3`, or a list such as `["language", "timing"]` for multiple choice, where the first listed
value that was picked decides: jsonb containment on PostgreSQL, the JSON text on SQLite); the database
returns only sums and counts per municipality, survey, question and reading language, never the
answers. Declined answers, empty answers and values the mapping does not name (with no `otherwise`)
are not counted. "Minority-language" respondents are those who
answered in Azerbaijani, Armenian or Russian. An answer counts for the municipality stored on its
response (where the person lived when answering; migration 0014_response_facets), so the answers are
joined to their responses only, never to the people; simulated people are left out by an anti-join
against the few simulated rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, Text, and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import AnswerKey, Framework, Indicator, Source
from benchmarking.periods import Window
from contacts.simulated import real_person
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


def _matches(value: Any, key: AnswerKey, dialect: str) -> ColumnElement[bool]:
    """The answer is `key`, or (multiple choice) a list that holds it."""
    if dialect == "postgresql":
        # jsonb: containment is true for a list holding the value and for the value itself; numbers
        # compare as numbers (3 = 3.0). No cast per row, which matters over a million answers.
        return value.op("@>")(cast(literal(json.dumps(key, ensure_ascii=False)), JSONB))  # type: ignore[no-any-return]
    text = cast(value, Text)
    if isinstance(key, str):
        pattern = json.dumps(key, ensure_ascii=False).replace("%", r"\%").replace("_", r"\_")
        return text.like(f"%{pattern}%", escape="\\")
    forms = {str(key), json.dumps(float(key))}
    if float(key).is_integer():
        forms.add(str(int(key)))
    return text.in_(sorted(forms))


def _answered(value: Any, dialect: str) -> ColumnElement[bool]:
    """Not empty: neither JSON null nor an empty list."""
    if dialect == "postgresql":
        return value.notin_([cast(literal("null"), JSONB), cast(literal("[]"), JSONB)])  # type: ignore[no-any-return]
    return cast(value, Text).notin_(["null", "[]"])


def _ids(item: Indicator, ids: dict[str, int]) -> list[int]:
    return sorted(ids[code] for code in item.surveys if code in ids)


def _score(indicators: Sequence[Indicator], ids: dict[str, int], dialect: str) -> ColumnElement[float]:
    """CASE question WHEN ... THEN (CASE on the survey and the value): a row tests only its own question."""
    value = SurveyAnswer.value
    by_question: dict[str, list[tuple[ColumnElement[bool], ColumnElement[float]]]] = defaultdict(list)
    for item in indicators:
        whens = by_question[item.question or ""]
        asked = SurveyResponse.survey_id.in_(_ids(item, ids))
        for key, score in item.scores:
            whens.append((and_(asked, _matches(value, key, dialect)), literal(score, Float)))
        if item.otherwise is not None:
            whens.append((and_(asked, _answered(value, dialect)), literal(item.otherwise, Float)))
    inner = {question: case(*whens, else_=None) for question, whens in by_question.items()}
    return case(inner, value=SurveyAnswer.question, else_=None)


async def survey_ids(session: AsyncSession, framework: Framework) -> dict[str, int]:
    codes = {code for item in framework.indicators() if item.source is Source.SURVEY for code in item.surveys}
    rows = await session.execute(
        select(SurveyRecord.code, SurveyRecord.id).where(SurveyRecord.code.in_(codes))
    )
    return dict(rows.all())


def _scored(framework: Framework, ids: dict[str, int]) -> list[Indicator]:
    return [item for item in framework.indicators() if item.source is Source.SURVEY and _ids(item, ids)]


def tallies_query(
    framework: Framework, ids: dict[str, int], window: Window, dialect: str
) -> Select[*tuple[Any, ...]] | None:
    """The aggregate query of one period (exposed for EXPLAIN in benchmarks/); None when nothing can be
    scored. It groups on plain columns (the planner then knows there are few groups and hashes them);
    the reading languages are folded into the two groups afterwards, a few dozen rows."""
    indicators = _scored(framework, ids)
    if not indicators:
        return None
    score = _score(indicators, ids, dialect)
    keys = (
        SurveyResponse.municipality_id,
        SurveyResponse.survey_id,
        SurveyAnswer.question,
        SurveyResponse.language,
    )
    return (
        select(*keys, func.sum(score), func.count(score))
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(
            SurveyResponse.survey_id.in_(sorted({i for item in indicators for i in _ids(item, ids)})),
            SurveyAnswer.question.in_(sorted({item.question or "" for item in indicators})),
            SurveyAnswer.declined.is_(False),
            real_person(SurveyResponse.contact_id),
            SurveyAnswer.answered_at >= window.start,
            SurveyAnswer.answered_at < window.end,
        )
        .group_by(*keys)
    )


async def survey_tallies(session: AsyncSession, framework: Framework, windows: Sequence[Window]) -> Tallies:
    ids = await survey_ids(session, framework)
    by_question = {
        (survey_id, item.question): item.code
        for item in _scored(framework, ids)
        for survey_id in _ids(item, ids)
    }
    sums: dict[tuple[str, int, str, str], tuple[float, int]] = {}
    for window in windows:
        query = tallies_query(framework, ids, window, session.get_bind().dialect.name)
        if query is None:
            return {}
        for municipality_id, survey_id, question, language, total, count in (
            await session.execute(query)
        ).all():
            if municipality_id is None or not count:
                continue
            group = MINORITY if language in MINORITY_LANGUAGES else OTHERS
            key = (window.name, municipality_id, by_question[(survey_id, question)], group)
            before = sums.get(key, (0.0, 0))  # languages fold into groups; surveys of an indicator add up
            sums[key] = (before[0] + float(total or 0), before[1] + int(count))
    return {key: Tally(total, count) for key, (total, count) in sums.items()}
