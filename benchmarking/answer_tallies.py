"""Survey-based scores summed from the answer tallies (migration 0016_answer_tallies): one aggregate over a
few thousand rows for every period, where the answers are a million.

People, for small-cell suppression: one response per person and survey and one answer per response and
question make a tally's count of one survey's answers a count of people. An indicator that reads two
surveys (baseline and follow-up codes) may count a person twice; it has at least as many people as its
largest survey, which settles it when that is 5 or more; otherwise the few answers behind it are counted
by person (`answer_scan.people`). `benchmarking.answer_scan.scan_tallies` is the same result computed
from the answers, which the tests hold this to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarking.answer_scan import people
from benchmarking.framework import Framework
from benchmarking.periods import Window
from benchmarking.survey_scores import (
    EVERYONE,
    Tallies,
    Tally,
    group_of,
    indicator_surveys,
    score_of,
    scored,
    survey_ids,
)
from storage.models.benchmarking import AnswerTally
from surveys.disclosure import MIN_GROUP


def tallies_query(
    framework: Framework, ids: dict[str, int], windows: Sequence[Window], dialect: str
) -> Select[*tuple[Any, ...]] | None:
    """The one aggregate over the tallies of every period (exposed for EXPLAIN in benchmarks/); None when
    nothing can be scored. Sums per period, municipality, survey, question and reading language."""
    indicators = scored(framework, ids)
    if not indicators or not windows:
        return None
    t = AnswerTally
    score = score_of(indicators, ids, dialect, t.survey_id, t.question, t.value)
    keys = (t.period_id, t.municipality_id, t.survey_id, t.question, t.language)
    return (
        select(*keys, func.sum(score * t.answers), func.sum(case((score.is_not(None), t.answers), else_=0)))
        .where(
            t.period_id.in_(sorted(w.period_id for w in windows)),
            t.survey_id.in_(sorted({i for item in indicators for i in indicator_surveys(item, ids)})),
            t.question.in_(sorted({item.question or "" for item in indicators})),
        )
        .group_by(*keys)
    )


async def survey_tallies(session: AsyncSession, framework: Framework, windows: Sequence[Window]) -> Tallies:
    ids = await survey_ids(session, framework)
    query = tallies_query(framework, ids, windows, session.get_bind().dialect.name)
    if query is None:
        return {}
    by_id = {w.period_id: w for w in windows}
    code_of = {
        (survey, item.question): item.code
        for item in scored(framework, ids)
        for survey in indicator_surveys(item, ids)
    }
    sums: dict[tuple[str, int, str, str], tuple[float, int]] = {}
    # scored answers of each survey, which are people: (period, municipality, code, group) -> {survey: n}
    by_survey: dict[tuple[str, int, str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for period_id, municipality_id, survey_id, question, language, total, count in (
        await session.execute(query)
    ).all():
        if not count:
            continue
        code = code_of[(survey_id, question)]
        for group in (group_of(language), EVERYONE):
            key = (by_id[period_id].name, municipality_id, code, group)
            before = sums.get(key, (0.0, 0))
            sums[key] = (before[0] + float(total or 0), before[1] + int(count))
            by_survey[key][survey_id] += int(count)
    found: Tallies = {}
    for key, (total, count) in sums.items():
        surveys = by_survey[key]
        if len(surveys) == 1:
            persons = count
        elif max(surveys.values()) >= MIN_GROUP:
            persons = MIN_GROUP
        else:
            period, municipality_id, code, group = key
            item = framework.indicator(code)
            assert item is not None
            window = next(w for w in windows if w.name == period)
            persons = await people(session, ids, window, municipality_id, item, group)
        found[key] = Tally(total, count, min(persons, MIN_GROUP))
    return found
