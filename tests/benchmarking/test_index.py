"""The index against scores worked out by hand in each test, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking.framework import Framework
from benchmarking.framework_yaml import default_framework, load_framework
from benchmarking.index import MunicipalityIndex, Status, compute_index
from benchmarking.periods import add_period, assess
from campaigns.errors import InvalidDefinition, ScopeDenied
from storage.models import AuditEntry
from storage.models.benchmarking import SelfAssessment
from storage.models.campaigns import Role
from surveys import lifecycle
from surveys.yaml_format import load_survey_yaml
from tests.benchmarking.index_data import IN_FOLLOWUP, hearing, periods, questionnaire, respond
from tests.campaigns.people import add_staff
from tests.surveys.people import EXAMPLES, NOW, Talk, add_person, data_of, last_question

EXAMPLE = EXAMPLES / "participation_questionnaire.yaml"

LABEL = "label: {ka: ა, az: a, hy: ա, ru: а, en: a}"
GOLDEN = f"""
code: golden
title: {{ka: ტ, az: t, hy: տ, ru: т, en: t}}
dimensions:
  - code: known
    weight: 3
    {LABEL}
    indicators:
      - {{code: aware, weight: 1, source: survey, survey: participation-questionnaire, question: aware_hearings,
          scores: {{"yes": 100, "no": 0}}, {LABEL}}}
      - {{code: notice, weight: 1, source: system, figure: notice_days, target: {{worst: 0, best: 10}}, {LABEL}}}
  - code: heard
    weight: 1
    {LABEL}
    indicators:
      - {{code: trust, weight: 2, source: survey, survey: participation-questionnaire, question: trust,
          scores: {{1: 0, 2: 25, 3: 50, 4: 75, 5: 100}}, {LABEL}}}
      - {{code: self, weight: 1, source: self_assessment, target: {{worst: 0, best: 4}}, {LABEL}}}
      - {{code: answered, weight: 1, source: system, figure: questions_answered, target: {{worst: 0, best: 100}},
          {LABEL}}}
"""


@pytest.fixture
def golden() -> Framework:
    return load_framework(GOLDEN)


async def _index(
    sessions: async_sessionmaker[AsyncSession],
    framework: Framework,
) -> dict[tuple[str, str], MunicipalityIndex]:
    async with sessions() as session:
        return await compute_index(session, framework)


async def _baseline(session: AsyncSession) -> None:
    """Dmanisi, baseline: 6 Georgian readers and 5 Armenian readers; two hearings; a self-assessment."""
    await periods(session)
    record = await questionnaire(session)
    ka = [("yes", 5), ("yes", 5), ("yes", 4), ("yes", 3), ("no", 2), ("no", 1)]
    hy = [("yes", 4), ("no", 3), ("no", 3), ("no", 1), ("no", 1)]
    for language, people in (("ka", ka), ("hy", hy)):
        for aware, trust in people:
            await respond(session, record, {"aware_hearings": aware, "trust": trust}, language=language)
    await hearing(session, announced=datetime(2026, 3, 1, 10, tzinfo=UTC), days=7)
    await hearing(session, announced=datetime(2026, 4, 1, 10, tzinfo=UTC), days=5)
    coordinator = await add_staff(session, "coord")
    await assess(
        session,
        load_framework(GOLDEN),
        coordinator,
        municipality_code="dmanisi",
        period_name="2026-baseline",
        indicator="self",
        score=3,
        evidence="minutes of 4 sessions",
    )


async def test_golden_scores_with_a_missing_indicator(
    sessions: async_sessionmaker[AsyncSession], golden: Framework
) -> None:
    async with sessions() as session, session.begin():
        await _baseline(session)
    result = (await _index(sessions, golden))[("2026-baseline", "dmanisi")]
    aware = 100 * 5 / 11  # 4 of 6 and 1 of 5 said yes
    notice = 100 * 6 / 10  # 7 and 5 days: a mean of 6 against a best of 10
    trust = (100 + 100 + 75 + 50 + 25 + 0 + 75 + 50 + 50 + 0 + 0) / 11
    self_score = 100 * 3 / 4
    known = (aware + notice) / 2
    heard = (2 * trust + 1 * self_score) / 3  # `answered` has no questions: left out, weights 2/3 and 1/3
    overall = (3 * known + 1 * heard) / 4
    assert result.overall == pytest.approx(overall)
    scores = {d.dimension.code: d for d in result.dimensions}
    assert scores["known"].score == pytest.approx(known)
    assert scores["heard"].score == pytest.approx(heard)
    by_code = {i.indicator.code: i for d in result.dimensions for i in d.indicators}
    assert by_code["aware"].score == pytest.approx(aware)
    assert by_code["aware"].respondents == 11
    assert by_code["notice"].raw == pytest.approx(6)
    assert by_code["answered"].status is Status.MISSING and by_code["answered"].score is None
    assert [i.weight for i in scores["heard"].indicators] == [
        pytest.approx(2 / 3),
        pytest.approx(1 / 3),
        None,
    ]
    assert (scores["heard"].missing, result.missing, result.total) == (1, 1, 5)
    assert (scores["known"].weight, scores["heard"].weight) == (pytest.approx(0.75), pytest.approx(0.25))


async def test_inclusion_gap_compares_minority_language_respondents_with_the_rest(
    sessions: async_sessionmaker[AsyncSession], golden: Framework
) -> None:
    async with sessions() as session, session.begin():
        await _baseline(session)
    result = (await _index(sessions, golden))[("2026-baseline", "dmanisi")]
    gaps = {gap.code: gap for gap in result.gaps}
    assert gaps["aware"].minority == pytest.approx(100 * 1 / 5)
    assert gaps["aware"].others == pytest.approx(100 * 4 / 6)
    assert gaps["aware"].gap == pytest.approx(100 * 4 / 6 - 100 * 1 / 5)
    assert gaps["trust"].minority == pytest.approx((75 + 50 + 50) / 5)
    assert gaps["heard"].others == pytest.approx((100 + 100 + 75 + 50 + 25) / 6)  # trust only: survey-based


async def test_a_group_under_five_hides_both_sides_of_the_gap_and_a_small_indicator(
    sessions: async_sessionmaker[AsyncSession], golden: Framework
) -> None:
    async with sessions() as session, session.begin():
        await periods(session)
        record = await questionnaire(session)
        for _n in range(6):
            await respond(session, record, {"aware_hearings": "yes"}, language="ka")
        for _n in range(3):
            await respond(session, record, {"aware_hearings": "no"}, language="az")
        for _n in range(4):
            await respond(session, record, {"trust": 5}, language="ka")
    result = (await _index(sessions, golden))[("2026-baseline", "dmanisi")]
    by_code = {i.indicator.code: i for d in result.dimensions for i in d.indicators}
    assert by_code["aware"].score == pytest.approx(100 * 6 / 9)  # 9 people: shown
    assert by_code["trust"].status is Status.HIDDEN and by_code["trust"].score is None  # 4 people
    gaps = {gap.code: gap for gap in result.gaps}
    # 3 Azerbaijani readers are too few; the 6 others would give them away next to the overall score.
    assert (gaps["aware"].minority, gaps["aware"].others, gaps["aware"].hidden) == (None, None, True)
    assert result.overall == pytest.approx(100 * 6 / 9)  # the only score left


async def test_periods_side_by_side_and_municipalities_without_data(
    sessions: async_sessionmaker[AsyncSession], golden: Framework
) -> None:
    async with sessions() as session, session.begin():
        await _baseline(session)
        record = await questionnaire(session)
        for language in ("ka", "ka", "ka", "hy", "hy", "az"):
            await respond(session, record, {"aware_hearings": "yes"}, language=language, at=IN_FOLLOWUP)
    index = await _index(sessions, golden)
    assert set(index) == {
        (p, m)
        for p in ("2026-baseline", "2027-followup")
        for m in ("batumi", "chokhatauri", "dmanisi", "marneuli")
    }
    followup = index[("2027-followup", "dmanisi")]
    assert followup.overall == pytest.approx(100)  # only `aware` has data: 6 of 6
    assert (followup.missing, [d.score for d in followup.dimensions]) == (4, [pytest.approx(100), None])
    assert index[("2026-baseline", "dmanisi")].overall != followup.overall
    empty = index[("2026-baseline", "batumi")]
    assert (empty.overall, empty.missing) == (None, 5)


async def test_questions_answered_rsvps_and_declined_answers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    framework = default_framework()
    async with sessions() as session, session.begin():
        await periods(session)
        await hearing(
            session, announced=datetime(2026, 2, 1, 9, tzinfo=UTC), days=14, questions=8, answered=6
        )
        record = await questionnaire(session)
        for _ in range(5):
            await respond(session, record, {"trust": 4, "aware_hearings": "no"}, language="ru")
        await respond(session, record, {"trust": None}, declined=frozenset({"trust"}))
    result = (await _index(sessions, framework))[("2026-baseline", "dmanisi")]
    by_code = {i.indicator.code: i for d in result.dimensions for i in d.indicators}
    assert by_code["questions_answered"].score == pytest.approx(100 * 6 / 8)
    assert by_code["notice_days"].score == pytest.approx(100)  # 14 days is the target
    assert by_code["questions_per_1000"].raw == pytest.approx(1000 * 8 / 19_141)  # census 2014
    assert by_code["trust_in_listening"].respondents == 5  # the declined answer is not counted
    assert by_code["trust_in_listening"].score == pytest.approx(75)


async def test_the_mapping_reads_answers_as_the_survey_engine_stores_them(
    sessions: async_sessionmaker[AsyncSession], golden: Framework
) -> None:
    async with sessions() as session, session.begin():
        await add_period(session, "2026-december", NOW.date(), NOW.date(), actor="test")
        record = await questionnaire(session)
        ids = [(await add_person(session, municipality="dmanisi")).id for _ in range(5)]
    for n, contact_id in enumerate(ids):
        talk = Talk(sessions, contact_id)
        question = last_question(await talk.press(f"sv:{record.id}:go"))
        await talk.press(data_of(question)[0 if n < 4 else 1])  # 4 yes, 1 no
    result = (await _index(sessions, golden))[("2026-december", "dmanisi")]
    by_code = {i.indicator.code: i for d in result.dimensions for i in d.indicators}
    assert (by_code["aware"].score, by_code["aware"].respondents) == (pytest.approx(80), 5)


async def test_an_officer_of_another_municipality_cannot_assess_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    framework = default_framework()
    async with sessions() as session, session.begin():
        await periods(session)
        outsider = await add_staff(session, "nino", Role.OFFICER, "marneuli")
        with pytest.raises(ScopeDenied):
            await assess(
                session,
                framework,
                outsider,
                municipality_code="dmanisi",
                period_name="2026-baseline",
                indicator="co_decision",
                score=2,
                evidence="x",
            )
        own = await add_staff(session, "ani", Role.OFFICER, "dmanisi")
        await assess(
            session,
            framework,
            own,
            municipality_code="dmanisi",
            period_name="2026-baseline",
            indicator="co_decision",
            score=2,
            evidence="budget hearings minutes",
            link="https://dmanisi.gov.ge/minutes",
        )
        with pytest.raises(InvalidDefinition):
            await assess(
                session,
                framework,
                own,
                municipality_code="dmanisi",
                period_name="2026-baseline",
                indicator="co_decision",
                score=9,
                evidence="x",
            )
        with pytest.raises(InvalidDefinition):
            await assess(
                session,
                framework,
                own,
                municipality_code="dmanisi",
                period_name="2026-baseline",
                indicator="trust_in_listening",
                score=2,
                evidence="x",
            )
    async with sessions() as session:
        stored = (await session.execute(select(SelfAssessment.entered_by, SelfAssessment.score))).all()
        denied = await session.scalar(
            select(func.count()).where(AuditEntry.action == "benchmark.scope_denied")
        )
    assert [tuple(row) for row in stored] == [("ani", 2.0)]
    assert denied == 1


async def test_periods_cannot_overlap(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await periods(session)
        with pytest.raises(InvalidDefinition, match="overlap"):
            await add_period(
                session, "2026-extra", datetime(2026, 6, 1).date(), datetime(2026, 9, 1).date(), actor="test"
            )


async def test_action_plan_items_done_on_time(sessions: async_sessionmaker[AsyncSession]) -> None:
    from storage.models.actionplans import ItemStatus
    from tests.benchmarking.actionplan_builders import item

    framework = default_framework()
    due = date(2026, 5, 31)
    cases = [  # (status, done_on): 2 of the 4 counted items were done by their due date
        (ItemStatus.DONE, date(2026, 5, 1)),
        (ItemStatus.DONE, due),
        (ItemStatus.DONE, date(2026, 6, 2)),  # late
        (ItemStatus.DELAYED, None),
        (ItemStatus.DROPPED, None),  # not counted
    ]
    async with sessions() as session, session.begin():
        await periods(session)
        for status, done_on in cases:
            added = await item(session, "dmanisi", due=due)
            added.status, added.done_on = status, done_on
    index = await _index(sessions, framework)
    by_code = {
        i.indicator.code: i for d in index[("2026-baseline", "dmanisi")].dimensions for i in d.indicators
    }
    assert by_code["action_plan_on_time"].score == pytest.approx(100 * 2 / 4)
    followup = {
        i.indicator.code: i for d in index[("2027-followup", "dmanisi")].dimensions for i in d.indicators
    }
    assert followup["action_plan_on_time"].status is Status.MISSING  # nothing due then


async def test_an_indicator_counts_the_follow_up_survey_under_its_own_code(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    framework = load_framework(
        GOLDEN.replace(
            "survey: participation-questionnaire, question: aware_hearings",
            "survey: [participation-questionnaire, participation-2027], question: aware_hearings",
        )
    )
    async with sessions() as session, session.begin():
        await periods(session)
        first = await questionnaire(session)
        text = EXAMPLE.read_text(encoding="utf-8").replace(
            "code: participation-questionnaire", "code: participation-2027"
        )
        record, _ = await lifecycle.import_survey(session, load_survey_yaml(text), "yaml")
        second = await lifecycle.open_survey(session, record.code)
        for n in range(3):
            await respond(session, first, {"aware_hearings": "yes"})
            await respond(session, second, {"aware_hearings": "no" if n else "yes"})
    result = (await _index(sessions, framework))[("2026-baseline", "dmanisi")]
    aware = next(i for d in result.dimensions for i in d.indicators if i.indicator.code == "aware")
    assert (aware.score, aware.respondents) == (pytest.approx(100 * 4 / 6), 6)
