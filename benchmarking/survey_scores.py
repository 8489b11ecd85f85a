"""Survey-based scores: how an indicator's mapping becomes SQL, for tallies and for answers alike.

Each survey indicator maps the answers of one question to scores with a SQL CASE over the answer's JSON
(`"yes"`, `3`, or a list such as `["language", "timing"]` for multiple choice, where the first listed
value that was picked decides: jsonb containment on PostgreSQL, the JSON text on SQLite). The same CASE
scores a tally row (one value, counted `answers` times) or one answer (`benchmarking.answer_scan`, the
full computation the tallies are proven equal to), so the two cannot drift apart. Declined answers,
empty answers and values the mapping does not name (with no `otherwise`) are not counted.
"Minority-language" respondents are those who answered in Azerbaijani, Armenian or Russian.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Text, and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import AnswerKey, Framework, Indicator, Source
from storage.models.surveys import SurveyRecord

MINORITY_LANGUAGES = ("az", "hy", "ru")
MINORITY, OTHERS, EVERYONE = "minority", "others", "everyone"


@dataclass(frozen=True)
class Tally:
    """One indicator's scored answers in one group and period: the sum of their scores, how many there
    are, and how many people gave them, counted up to MIN_GROUP (all that suppression needs to know)."""

    total: float
    count: int
    people: int


# (period name, municipality id, indicator code, MINORITY | OTHERS | EVERYONE) -> Tally
Tallies = dict[tuple[str, int, str, str], Tally]


def group_of(language: str) -> str:
    return MINORITY if language in MINORITY_LANGUAGES else OTHERS


def _matches(value: Any, key: AnswerKey, dialect: str) -> ColumnElement[bool]:
    """The answer is `key`, or (multiple choice) a list that holds it."""
    if dialect == "postgresql":
        # jsonb: containment is true for a list holding the value and for the value itself; numbers
        # compare as numbers (3 = 3.0). No cast per row, which matters over a million answers.
        return value.op("@>")(cast(literal(json.dumps(key)), JSONB))  # type: ignore[no-any-return]
    text = cast(value, Text)
    if isinstance(key, str):
        # The JSON text as stored (`json.dumps`), searched case-sensitively as jsonb compares.
        return func.instr(text, json.dumps(key)) > 0
    forms = {str(key), json.dumps(float(key))}
    if float(key).is_integer():
        forms.add(str(int(key)))
    return text.in_(sorted(forms))


def _answered(value: Any, dialect: str) -> ColumnElement[bool]:
    """Not empty: neither JSON null nor an empty list."""
    if dialect == "postgresql":
        return value.notin_([cast(literal("null"), JSONB), cast(literal("[]"), JSONB)])  # type: ignore[no-any-return]
    return cast(value, Text).notin_(["null", "[]"])


def indicator_surveys(item: Indicator, ids: dict[str, int]) -> list[int]:
    return sorted(ids[code] for code in item.surveys if code in ids)


def score_of(
    indicators: Sequence[Indicator], ids: dict[str, int], dialect: str, survey: Any, question: Any, value: Any
) -> ColumnElement[float]:
    """CASE question WHEN ... THEN (CASE on the survey and the value): a row tests only its own question.
    `survey`, `question` and `value` are the columns of a tally or of an answer and its response."""
    by_question: dict[str, list[tuple[ColumnElement[bool], ColumnElement[float]]]] = defaultdict(list)
    for item in indicators:
        whens = by_question[item.question or ""]
        asked = survey.in_(indicator_surveys(item, ids))
        for key, score in item.scores:
            whens.append((and_(asked, _matches(value, key, dialect)), literal(score, Float)))
        if item.otherwise is not None:
            whens.append((and_(asked, _answered(value, dialect)), literal(item.otherwise, Float)))
    inner = {question_: case(*whens, else_=None) for question_, whens in by_question.items()}
    return case(inner, value=question, else_=None)


async def survey_ids(session: AsyncSession, framework: Framework) -> dict[str, int]:
    codes = {code for item in framework.indicators() if item.source is Source.SURVEY for code in item.surveys}
    rows = await session.execute(
        select(SurveyRecord.code, SurveyRecord.id).where(SurveyRecord.code.in_(codes))
    )
    return dict(rows.all())


def scored(framework: Framework, ids: dict[str, int]) -> list[Indicator]:
    """The survey indicators with at least one of their surveys imported."""
    return [
        item
        for item in framework.indicators()
        if item.source is Source.SURVEY and indicator_surveys(item, ids)
    ]
