"""The answer tallies against the answers themselves, and against counts worked out by hand.

The index reads `answer_tallies`, kept by triggers (migration 0016); `compute_index(from_answers=True)`
reads every answer. On generated data both must give the same index after every kind of write the
tallies must follow: erasure, changed and deleted answers, a deleted response and a deleted person, a
response's language changed, a person flagged as simulated, a period added after its answers and a
period moved, with answers on both sides of Tbilisi midnight at the periods' edges.
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import case, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking.framework import Framework
from benchmarking.framework_yaml import load_framework
from benchmarking.index import MunicipalityIndex, Status, compute_index
from benchmarking.periods import add_period
from contacts.privacy import erase
from contacts.simulated import purge_simulated
from contacts.vault import DataVault
from storage.models import Contact
from storage.models.benchmarking import AnswerTally, BenchmarkPeriod
from storage.models.surveys import SurveyAnswer, SurveyResponse
from tests.benchmarking.index_data import answer_as, periods, two_surveys
from tests.surveys.people import add_person

Sessions = async_sessionmaker[AsyncSession]
TALLIES_MIGRATION = importlib.import_module("storage.migrations.versions.0016_answer_tallies")
LABEL = "label: {ka: ა, az: a, hy: ա, ru: а, en: a}"
BOTH = "[participation-questionnaire, participation-2027]"
FRAMEWORK = f"""
code: tallies
title: {{ka: ტ, az: t, hy: տ, ru: т, en: t}}
dimensions:
  - code: heard
    weight: 1
    {LABEL}
    indicators:
      - {{code: aware, weight: 2, source: survey, survey: {BOTH}, question: aware_hearings,
          scores: {{"yes": 100, "no": 0}}, {LABEL}}}
      - {{code: trust, weight: 1, source: survey, survey: participation-questionnaire, question: trust,
          scores: {{1: 0, 2: 25, 3: 50, 4: 75, 5: 100}}, {LABEL}}}
      - {{code: barriers, weight: 1, source: survey, survey: {BOTH}, question: barriers,
          scores: {{language: 0}}, otherwise: 100, {LABEL}}}
      - {{code: count, weight: 1, source: survey, survey: participation-questionnaire,
          question: hearings_count, scores: {{1: 20, 2: 40, 3: 60}}, {LABEL}}}
      - {{code: ideas, weight: 1, source: survey, survey: participation-questionnaire, question: suggestion,
          scores: {{"none": 0}}, otherwise: 100, {LABEL}}}
"""
# Tbilisi midnight is 20:00 UTC: the instants around the edges of both periods, and some inside.
EDGES = [datetime(2025, 12, 31, 20, tzinfo=UTC), datetime(2026, 6, 30, 20, tzinfo=UTC)]
EDGES += [datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2027, 6, 30, 20, tzinfo=UTC)]
STEPS = [timedelta(seconds=s) for s in (-3600, -1, 0, 1, 3600 * 5)]
INSIDE = [datetime(2026, 3, 15, 10, tzinfo=UTC), datetime(2026, 9, 20, 22, tzinfo=UTC)]
TEXTS = ["none", "None", "More evening hearings, please", "ნაკლები ბიუროკრატია", "evening-meetings", "x" * 25]


@pytest.fixture
def framework() -> Framework:
    return load_framework(FRAMEWORK)


def _random_answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {"aware_hearings": rng.choice(["yes", "no"]), "trust": rng.randint(1, 5)}
    answers["barriers"] = rng.choice([["language"], ["timing", "language"], ["nothing"], [], ["access"]])
    answers["hearings_count"] = rng.choice([1, 2, 3, 4, 2.0, None])
    answers["suggestion"] = rng.choice([*TEXTS, None])
    return answers


async def _generate(session: AsyncSession, seed: int) -> list[int]:
    """People in three municipalities and five languages, some answering both surveys, some declining,
    two simulated; every answer at an edge of a period or inside one. Returns the people's ids."""
    rng = random.Random(seed)
    surveys = await two_surveys(session)
    moments = [edge + step for edge in EDGES for step in STEPS] + INSIDE
    people = []
    for n in range(48):
        language = rng.choice(["ka", "az", "hy", "ru", "en"])
        person = await add_person(
            session, municipality=rng.choice(["dmanisi", "marneuli", "batumi"]), language=language
        )
        person.simulated = n in (3, 17)
        people.append(person.id)
        for record in surveys if n % 3 == 0 else [rng.choice(surveys)]:
            declined = frozenset(q for q in ("trust", "barriers") if rng.random() < 0.15)
            at = INSIDE[0] if person.simulated else rng.choice(moments)  # inside: their flag must matter
            await answer_as(session, record, person, _random_answers(rng), at, declined=declined)
    return people


async def _compare(
    sessions: Sessions, framework: Framework
) -> tuple[dict[tuple[str, str], MunicipalityIndex], list[str]]:
    """The index from the tallies, and where it or the tallies differ from the answers: the index
    computed from every answer, and a recount of the rows the view `answer_tally_rows` defines (which
    catches a change the index would not show, such as a language moved within its group)."""
    async with sessions() as session:
        tallied = await compute_index(session, framework)
        scanned = await compute_index(session, framework, from_answers=True)
        key = "period_id, municipality_id, survey_id, question, language, value, shard"
        kept = await session.execute(text(f"SELECT {key}, answers FROM answer_tallies WHERE answers <> 0"))
        recount = await session.execute(text(f"SELECT {key}, count(*) FROM answer_tally_rows GROUP BY {key}"))
        differences = [] if sorted(map(_row, kept.all())) == sorted(map(_row, recount.all())) else ["tallies"]
    if tallied.keys() != scanned.keys():
        differences.append(f"indexes computed: {sorted(tallied.keys() ^ scanned.keys())}")
    differences += [
        f"index of {key}"
        for key in sorted(tallied.keys() & scanned.keys())
        if _shape(tallied[key]) != pytest.approx(_shape(scanned[key]))
    ]
    return tallied, differences


async def _both_ways(sessions: Sessions, framework: Framework) -> dict[tuple[str, str], MunicipalityIndex]:
    """The index from the tallies, after checking that it and the tallies equal the answers'."""
    tallied, differences = await _compare(sessions, framework)
    assert not differences
    return tallied


def _row(row: Any) -> tuple[Any, ...]:
    value = row[5] if isinstance(row[5], str) else json.dumps(row[5], sort_keys=True)
    return (*row[:5], value, *row[6:])


def _shape(result: MunicipalityIndex) -> list[Any]:
    """Everything an index shows, as plain values (scores as floats, compared with a tolerance)."""
    found: list[Any] = [result.overall if result.overall is not None else -1.0]
    for dimension in result.dimensions:
        found += [dimension.score if dimension.score is not None else -1.0, dimension.weight or 0.0]
        for item in dimension.indicators:
            found += [
                item.score if item.score is not None else -1.0,
                item.status.value,
                item.respondents or 0,
            ]
            found.append(item.weight or 0.0)
    for gap in result.gaps:
        found += [
            gap.minority if gap.minority is not None else -1.0,
            gap.others if gap.others is not None else -1.0,
        ]
        found.append(gap.hidden)
    return found


Stage = tuple[str, dict[tuple[str, str], MunicipalityIndex], list[str]]


async def _every_kind_of_change(
    sessions: Sessions, framework: Framework, vault: DataVault
) -> AsyncIterator[Stage]:
    """Generated answers, then each kind of write the tallies must follow; after each, the stage's name,
    the index from the tallies and how it or the tallies differ from the answers (see `_compare`)."""
    async with sessions() as session, session.begin():
        await periods(session)
        people = await _generate(session, seed=8)
    yield ("generated", *await _compare(sessions, framework))
    rng = random.Random(9)
    async with sessions() as session, session.begin():
        for contact_id in rng.sample(people, 6):  # erased: free text blanked, chosen answers kept
            await erase(session, vault, await session.get_one(Contact, contact_id), actor="test")
        ids = list((await session.scalars(select(SurveyAnswer.id).order_by(SurveyAnswer.id))).all())
        for answer_id in rng.sample(ids, 20):
            await session.execute(update(SurveyAnswer).where(SurveyAnswer.id == answer_id).values(value="no"))
        for answer_id in rng.sample(ids, 10):
            moved = rng.choice(EDGES) + rng.choice(STEPS)
            await session.execute(
                update(SurveyAnswer).where(SurveyAnswer.id == answer_id).values(answered_at=moved)
            )
        await session.execute(
            update(SurveyAnswer).where(SurveyAnswer.id.in_(rng.sample(ids, 8))).values(declined=True)
        )
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.id.in_(rng.sample(ids, 8))))
    yield ("erased, answers changed and deleted", *await _compare(sessions, framework))
    async with sessions() as session, session.begin():
        # Counted responses of people who stay real here (the person flagged below is the first's).
        last_counted = text(
            "SELECT DISTINCT response_id FROM answer_tally_rows ORDER BY response_id DESC LIMIT 8"
        )
        responses = list((await session.scalars(last_counted)).all())
        counted_response = text("SELECT min(response_id) FROM answer_tally_rows")
        await session.execute(
            delete(SurveyResponse).where(SurveyResponse.id == await session.scalar(counted_response))
        )
        flipped = case((SurveyResponse.language == "ka", "az"), else_="ka")  # each changes group
        await session.execute(
            update(SurveyResponse).where(SurveyResponse.id.in_(responses)).values(language=flipped)
        )
        counted = text(
            "SELECT min(r.contact_id) FROM answer_tally_rows v JOIN survey_responses r ON r.id = v.response_id"
        )
        await session.execute(
            update(Contact).where(Contact.id == await session.scalar(counted)).values(simulated=True)
        )
        await session.execute(update(Contact).where(Contact.id == people[17]).values(simulated=False))
        await session.execute(delete(Contact).where(Contact.id == people[7]))  # its responses stay, anonymous
    yield ("a response deleted, languages changed, people flagged", *await _compare(sessions, framework))
    async with sessions() as session, session.begin():
        purged = await purge_simulated(session, now=datetime.now(UTC) + timedelta(days=2))
    assert purged  # people[3] at least (people[17] is real again)
    yield ("simulated people purged", *await _compare(sessions, framework))
    async with sessions() as session, session.begin():
        await add_period(session, "2026-autumn", date(2026, 9, 1), date(2026, 9, 30), actor="test")
        await session.execute(
            update(BenchmarkPeriod)
            .where(BenchmarkPeriod.name == "2027-followup")
            .values(starts_on=date(2027, 1, 1), ends_on=date(2027, 6, 29))
        )
    yield ("a period added, another moved", *await _compare(sessions, framework))


async def test_the_tallies_give_the_index_the_answers_give_through_every_kind_of_change(
    sessions: Sessions, framework: Framework, vault: DataVault
) -> None:
    stages = []
    async for stage, result, differences in _every_kind_of_change(sessions, framework, vault):
        assert not differences, stage
        stages.append((stage, result))
    first, last = stages[0][1], stages[-1][1]
    assert any(i.status is Status.OK for r in first.values() for d in r.dimensions for i in d.indicators)
    assert ("2026-autumn", "dmanisi") in last


@pytest.mark.parametrize("trigger", [name for name, *_ in TALLIES_MIGRATION.TRIGGERS])
async def test_without_any_one_trigger_the_tallies_no_longer_equal_the_answers(
    sessions: Sessions, framework: Framework, vault: DataVault, trigger: str
) -> None:
    """Each trigger of migration 0016 is needed: the same changes, with that one dropped, leave the
    tallies or the index apart from the answers at some stage (on SQLite and PostgreSQL alike)."""
    table = next(table for name, _, table, *_ in TALLIES_MIGRATION.TRIGGERS if name == trigger)
    async with sessions() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        await session.execute(text(f"DROP TRIGGER {trigger}" + (f" ON {table}" if postgres else "")))
    async for _, _, differences in _every_kind_of_change(sessions, framework, vault):
        if differences:
            return
    pytest.fail(f"every stage equal without {trigger}")


async def test_a_tbilisi_day_decides_the_period(sessions: Sessions, framework: Framework) -> None:
    """23:59:59 on 30 June in Tbilisi is 19:59:59 UTC: still the baseline; a second later is July."""
    async with sessions() as session, session.begin():
        await periods(session)
        record = (await two_surveys(session))[0]
        for value, at in (("yes", EDGES[1] - timedelta(seconds=1)), ("no", EDGES[1])):
            for _ in range(5):
                person = await add_person(session, municipality="dmanisi")
                await answer_as(session, record, person, {"aware_hearings": value}, at)
        await add_period(session, "2026-july", date(2026, 7, 1), date(2026, 7, 31), actor="test")
    result = await _both_ways(sessions, framework)
    scores = {
        period: _indicator(result[(period, "dmanisi")], "aware") for period in ("2026-baseline", "2026-july")
    }
    assert [(s.score, s.respondents) for s in scores.values()] == [(100, 5), (0, 5)]


async def test_people_not_answers_decide_what_is_hidden(sessions: Sessions, framework: Framework) -> None:
    """Three people who answered both surveys give six answers but are three people: hidden. Five who did
    (ten answers) are shown."""
    async with sessions() as session, session.begin():
        await periods(session)
        surveys = await two_surveys(session)
        for municipality, count in (("dmanisi", 3), ("marneuli", 5)):
            for n in range(count):
                person = await add_person(session, municipality=municipality)
                for record in surveys:
                    await answer_as(
                        session, record, person, {"aware_hearings": "yes" if n else "no"}, INSIDE[0]
                    )
    result = await _both_ways(sessions, framework)
    dmanisi = _indicator(result[("2026-baseline", "dmanisi")], "aware")
    marneuli = _indicator(result[("2026-baseline", "marneuli")], "aware")
    assert (dmanisi.status, dmanisi.score) == (Status.HIDDEN, None)
    assert (marneuli.status, marneuli.score, marneuli.respondents) == (Status.OK, pytest.approx(80), 10)


async def test_erasure_takes_free_text_out_and_leaves_no_text_in_the_tallies(
    sessions: Sessions, framework: Framework, vault: DataVault
) -> None:
    """Five wrote an idea (scored 100 by `otherwise`), five wrote "none" (0): 50. One writer of an idea is
    erased: their text is blanked, 4 of 9 remain, 44.4. Their chosen answer still counts (as promised)."""
    async with sessions() as session, session.begin():
        await periods(session)
        record = (await two_surveys(session))[0]
        writers = []
        for text in ["Evening hearings, please"] * 5 + ["none"] * 5:
            person = await add_person(session, municipality="dmanisi")
            writers.append(person.id)
            await answer_as(session, record, person, {"suggestion": text, "aware_hearings": "yes"}, INSIDE[0])
    before = _indicator((await _both_ways(sessions, framework))[("2026-baseline", "dmanisi")], "ideas")
    async with sessions() as session, session.begin():
        await erase(session, vault, await session.get_one(Contact, writers[0]), actor="test")
    result = (await _both_ways(sessions, framework))[("2026-baseline", "dmanisi")]
    assert (before.score, before.respondents) == (pytest.approx(50), 10)
    assert (_indicator(result, "ideas").score, _indicator(result, "ideas").respondents) == (
        pytest.approx(400 / 9),
        9,
    )
    assert _indicator(result, "aware").respondents == 10
    async with sessions() as session:
        stored = [str(v) for v in (await session.scalars(select(AnswerTally.value))).all()]
    assert not any("Evening" in value for value in stored)


def _indicator(result: MunicipalityIndex, code: str) -> Any:
    return next(i for d in result.dimensions for i in d.indicators if i.indicator.code == code)
