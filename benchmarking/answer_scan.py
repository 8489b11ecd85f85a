"""The survey tallies computed answer by answer: what `answer_tallies` must equal, and the count of people
where the tallies cannot tell it.

This reads every answer of a period (a million in the benchmark), so the index does not use it; the
tests do, to prove the tallies equal to it, and `answer_tallies.survey_tallies` asks it how many people
stand behind one indicator of one municipality when that indicator reads two surveys whose answers alone
cannot say (a person may have answered both). A person erased keeps their anonymous row and id; a
response whose person was deleted outright counts as one person of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.framework import Framework, Indicator
from benchmarking.periods import Window
from benchmarking.survey_scores import (
    EVERYONE,
    MINORITY,
    MINORITY_LANGUAGES,
    OTHERS,
    Tallies,
    Tally,
    indicator_surveys,
    score_of,
    scored,
    survey_ids,
)
from contacts.simulated import real_person
from storage.models.surveys import SurveyAnswer, SurveyResponse
from surveys.disclosure import MIN_GROUP


def _queries(
    indicators: Sequence[Indicator],
    ids: dict[str, int],
    window: Window,
    dialect: str,
    municipality_id: int | None = None,
) -> list[Select[Any]]:
    """Sums, counts and distinct people per municipality, indicator and group, then for everyone."""
    response, answer = SurveyResponse, SurveyAnswer
    code = case(
        *[
            (
                and_(response.survey_id.in_(indicator_surveys(item, ids)), answer.question == item.question),
                literal(item.code),
            )
            for item in indicators
        ],
        else_=None,
    )
    group = case((response.language.in_(MINORITY_LANGUAGES), MINORITY), else_=OTHERS)
    score = score_of(indicators, ids, dialect, response.survey_id, answer.question, answer.value)
    person = func.coalesce(response.contact_id, -response.id)
    rows = (
        select(
            response.municipality_id.label("municipality_id"),
            code.label("code"),
            group.label("grp"),
            score.label("score"),
            person.label("person"),
        )
        .select_from(answer)
        .join(response, response.id == answer.response_id)
        .where(
            response.survey_id.in_(sorted({i for item in indicators for i in indicator_surveys(item, ids)})),
            answer.question.in_(sorted({item.question or "" for item in indicators})),
            answer.declined.is_(False),
            response.municipality_id.is_not(None),
            real_person(response.contact_id),
            answer.answered_at >= window.start,
            answer.answered_at < window.end,
            *([response.municipality_id == municipality_id] if municipality_id is not None else []),
        )
        .subquery()
    )
    counted = (
        func.sum(rows.c.score),
        func.count(rows.c.score),
        func.count(distinct(case((rows.c.score.is_not(None), rows.c.person)))),
    )
    return [
        select(rows.c.municipality_id, rows.c.code, rows.c.grp, *counted).group_by(
            rows.c.municipality_id, rows.c.code, rows.c.grp
        ),
        select(rows.c.municipality_id, rows.c.code, literal(EVERYONE), *counted).group_by(
            rows.c.municipality_id, rows.c.code
        ),
    ]


async def scan_tallies(session: AsyncSession, framework: Framework, windows: Sequence[Window]) -> Tallies:
    """What `answer_tallies.survey_tallies` returns, computed from the answers themselves."""
    ids = await survey_ids(session, framework)
    indicators = scored(framework, ids)
    found: Tallies = {}
    if not indicators:
        return found
    for window in windows:
        for query in _queries(indicators, ids, window, session.get_bind().dialect.name):
            for municipality_id, code, group, total, count, persons in (await session.execute(query)).all():
                if count:
                    key = (window.name, municipality_id, code, group)
                    found[key] = Tally(float(total or 0), int(count), min(int(persons), MIN_GROUP))
    return found


async def people(
    session: AsyncSession,
    ids: dict[str, int],
    window: Window,
    municipality_id: int,
    item: Indicator,
    group: str,
) -> int:
    """How many people gave the scored answers of one indicator, municipality, period and group."""
    dialect = session.get_bind().dialect.name
    for query in _queries([item], ids, window, dialect, municipality_id):
        for _, _, found_group, _, count, persons in (await session.execute(query)).all():
            if found_group == group and count:
                return int(persons)
    return 0
