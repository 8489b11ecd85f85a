"""The framework file: the default one is complete and cited; a broken one is refused, line by line."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from benchmarking.framework import LANGUAGES, Figure, FrameworkError, Source
from benchmarking.framework_yaml import default_framework, load_framework
from bot.cli import app
from storage.models.benchmarking import SelfAssessment
from tests.benchmarking.index_data import periods
from tests.campaigns.people import add_staff

L = "{ka: ა, az: a, hy: ա, ru: а, en: a}"
# Line numbers matter below: line 1 is "code: small".
SMALL = f"""code: small
title: {L}
dimensions:
  - code: only
    weight: 1
    label: {L}
    indicators:
      - code: aware
        weight: 1
        source: survey
        survey: participation-questionnaire
        question: aware_hearings
        scores: {{"yes": 100, "no": 0}}
        label: {L}
      - code: notice
        weight: 1
        source: system
        figure: notice_days
        target: {{worst: 0, best: 14}}
        label: {L}
"""


def test_the_small_file_is_sound() -> None:
    framework = load_framework(SMALL)
    aware, notice = framework.indicators()
    assert (aware.scores, aware.source, notice.figure) == (
        (("yes", 100), ("no", 0)),
        Source.SURVEY,
        Figure.NOTICE_DAYS,
    )
    assert (
        notice.target is not None and notice.target.normalise(7) == 50 and notice.target.normalise(30) == 100
    )


def test_the_default_framework_covers_the_five_dimensions_and_cites_its_method() -> None:
    framework = default_framework()
    assert [d.code for d in framework.dimensions] == [
        "information",
        "consultation",
        "participation",
        "inclusion",
        "feedback",
    ]
    for dimension in framework.dimensions:
        assert dimension.principles and all(1 <= p <= 12 for p in dimension.principles)
        for item in (dimension, *dimension.indicators):
            assert set(item.label) == set(LANGUAGES) and all(item.label.values())
    assert {s for i in framework.indicators() for s in [i.source]} == set(Source)
    assert {i.figure for i in framework.indicators() if i.figure} == set(Figure)
    titles = " ".join(ref.title for ref in framework.references)
    assert "12 Principles of Good Democratic Governance" in titles and "CM(2017)83" in titles


@pytest.mark.parametrize(
    ("label", "old", "new", "expected"),
    [
        (
            "weight not above 0",
            "weight: 1\n        source: system",
            "weight: 0\n        source: system",
            "line 16: dimensions[0].indicators[1].weight: must be a number above 0",
        ),
        (
            "unknown source",
            "source: system",
            "source: sistem",
            "line 17: dimensions[0].indicators[1].source: must be one of survey, system, self_assessment",
        ),
        (
            "yes without quotes",
            '{"yes": 100, "no": 0}',
            "{yes: 100, no: 0}",
            "line 13: dimensions[0].indicators[0].scores.True: an answer value is a text or a number",
        ),
        (
            "free text as a value",
            '"yes": 100',
            '"Yes, often": 100',
            "line 13: dimensions[0].indicators[0].scores.Yes, often: a text answer value is an option's value",
        ),
        (
            "score above 100",
            '"yes": 100',
            '"yes": 150',
            "line 13: dimensions[0].indicators[0].scores.yes: a score is a number from 0 to 100",
        ),
        (
            "every answer the same",
            '"no": 0',
            '"no": 100',
            "line 13: dimensions[0].indicators[0].scores: every answer gets the same score",
        ),
        (
            "a language missing",
            f"weight: 1\n    label: {L}",
            "weight: 1\n    label: {ka: ა, en: a}",
            "line 6: dimensions[0].label: the az text is missing",
        ),
        (
            "a typo in a key",
            "        figure: notice_days",
            "        figur: notice_days",
            "line 18: dimensions[0].indicators[1].figur: unknown key",
        ),
        (
            "unknown figure",
            "figure: notice_days",
            "figure: notice_weeks",
            "line 18: dimensions[0].indicators[1].figure: must be one of notice_days",
        ),
        (
            "no target",
            "        target: {worst: 0, best: 14}\n",
            "",
            "line 15: dimensions[0].indicators[1]: a system indicator needs target",
        ),
        (
            "the same code twice",
            "code: notice",
            "code: aware",
            "line 15: dimensions[0].indicators[1].code: aware is used twice",
        ),
        (
            "worst equals best",
            "best: 14",
            "best: 0",
            "line 19: dimensions[0].indicators[1].target: worst and best must differ",
        ),
        ("not YAML", "    weight: 1\n    label", "    weight: [1\n    label", "line 6: not valid YAML"),
    ],
)
def test_a_broken_file_names_the_line(label: str, old: str, new: str, expected: str) -> None:
    assert old in SMALL, label
    with pytest.raises(FrameworkError) as caught:
        load_framework(SMALL.replace(old, new, 1))
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    broken = SMALL.replace("weight: 1\n        source: system", "weight: -1\n        source: sistem")
    with pytest.raises(FrameworkError) as caught:
        load_framework(broken)
    assert [p.split(":")[0] for p in caught.value.problems] == ["line 16", "line 17"]


def test_aliases_are_refused_before_they_expand() -> None:
    bomb = 'a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]\n'
    with pytest.raises(FrameworkError, match=r"line 2: YAML aliases \(\*name\) are not allowed"):
        load_framework(bomb)


async def test_a_broken_framework_changes_nothing_through_the_cli(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str, tmp_path: object
) -> None:
    async with sessions() as session, session.begin():
        await periods(session)
        await add_staff(session, "lela")
    broken = SMALL.replace("source: system", "source: sistem")
    path = f"{tmp_path}/broken.yaml"
    await asyncio.to_thread(_write, path, broken)
    args = [
        "benchmark",
        "assess",
        "--municipality",
        "dmanisi",
        "--period",
        "2026-baseline",
        "--indicator",
        "co_decision",
        "--score",
        "2",
        "--evidence",
        "minutes",
        "--as",
        "lela",
        "--framework",
        path,
    ]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url})
    assert result.exit_code == 1
    assert "line 17: dimensions[0].indicators[1].source: must be one of" in result.output
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SelfAssessment)) == 0


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
