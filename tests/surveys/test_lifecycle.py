"""Draft -> open (a window, an audience) -> closed, and who a survey is open to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contacts import privacy
from contacts.vault import DataVault
from storage.models import Contact
from storage.models.surveys import SurveyAnswer, SurveyStatus
from surveys import lifecycle
from surveys.yaml_format import survey_from_data, survey_to_data
from tests.surveys.people import NOW, Talk, add_person, data_of, example, last_question, open_example

HOUR = timedelta(hours=1)


async def test_import_is_a_draft_and_repeating_it_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    survey = example("budget_flash_poll.yaml")
    async with sessions() as session, session.begin():
        record, changed = await lifecycle.import_survey(session, survey, "yaml", now=NOW)
        assert changed and record.status == SurveyStatus.DRAFT
        again, changed_again = await lifecycle.import_survey(session, survey, "yaml", now=NOW)
        assert (again.id, changed_again, again.revision) == (record.id, False, 1)
        assert lifecycle.definition(record) == survey


async def test_a_draft_can_be_replaced_but_an_opened_survey_cannot(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    survey = example("budget_flash_poll.yaml")
    data = survey_to_data(survey)
    data["questions"] = data["questions"][:2]
    shorter = survey_from_data(data)
    async with sessions() as session, session.begin():
        await lifecycle.import_survey(session, survey, "yaml", now=NOW)
        record, changed = await lifecycle.import_survey(session, shorter, "yaml", now=NOW)
        assert changed and record.revision == 2
        assert len(lifecycle.definition(record).questions) == 2
        await lifecycle.open_survey(session, survey.code, now=NOW)
        with pytest.raises(lifecycle.SurveyLifecycleError, match="can no longer change"):
            await lifecycle.import_survey(session, survey, "yaml", now=NOW)


@pytest.mark.parametrize(
    ("label", "opens", "closes", "moment", "is_open", "shown"),
    [
        ("inside the window", -HOUR, HOUR, 0 * HOUR, True, "open"),
        ("before it opens", HOUR, 2 * HOUR, 0 * HOUR, False, "scheduled"),
        ("at the closing instant", -HOUR, HOUR, HOUR, False, "closed"),
        ("no closing time", -HOUR, None, 1000 * HOUR, True, "open"),
    ],
)
async def test_the_window_decides_whether_it_is_open(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    opens: timedelta,
    closes: timedelta | None,
    moment: timedelta,
    is_open: bool,
    shown: str,
) -> None:
    async with sessions() as session, session.begin():
        await lifecycle.import_survey(session, example("budget_flash_poll.yaml"), "yaml", now=NOW - 2 * HOUR)
        record = await lifecycle.open_survey(
            session, "budget-flash-poll", opens_at=NOW + opens,
            closes_at=NOW + closes if closes is not None else None, now=NOW - 2 * HOUR,
        )  # fmt: skip
        assert lifecycle.is_open(record, NOW + moment) is is_open, label
        assert lifecycle.shown_status(record, NOW + moment) == shown, label


@pytest.mark.parametrize(
    ("targets", "problem"),
    [
        ({"municipalities": ["tbilisi"]}, "unknown municipality tbilisi"),
        ({"languages": ["de"]}, "unknown language de"),
        ({"topics": ["sports"]}, "unknown topic sports"),
        ({"closes_at": NOW - HOUR}, "must be in the future"),
    ],
)
async def test_opening_checks_its_targets(
    sessions: async_sessionmaker[AsyncSession], targets: dict[str, object], problem: str
) -> None:
    async with sessions() as session, session.begin():
        await lifecycle.import_survey(session, example("budget_flash_poll.yaml"), "yaml", now=NOW)
        with pytest.raises(lifecycle.SurveyLifecycleError, match=problem):
            await lifecycle.open_survey(session, "budget-flash-poll", now=NOW, **targets)  # type: ignore[arg-type]


async def test_open_for_follows_municipality_language_topics_and_consent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        budget = await open_example(
            session, "budget_flash_poll.yaml", municipalities=["marneuli", "dmanisi"], topics=["budget"]
        )
        questionnaire = await open_example(
            session, "participation_questionnaire.yaml", languages=["az", "hy"]
        )
        people = {
            "marneuli az budget": await add_person(session, language="az", topics=["budget", "news"]),
            "dmanisi hy": await add_person(session, municipality="dmanisi", language="hy"),
            "batumi ka budget": await add_person(session, municipality="batumi", topics=["budget"]),
            "no municipality az": await add_person(session, municipality=None, language="az"),
            "no consent az": await add_person(session, language="az", topics=["budget"], consent=False),
        }
        found = {
            label: [record.code for record in await lifecycle.open_for(session, person, NOW)]
            for label, person in people.items()
        }
    assert found == {
        "marneuli az budget": [budget.code, questionnaire.code],
        "dmanisi hy": [questionnaire.code],
        "batumi ka budget": [],
        "no municipality az": [questionnaire.code],
        "no consent az": [],
    }


async def test_closing_is_final_and_closing_twice_is_harmless(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(lifecycle.SurveyLifecycleError, match="no survey"):
            await lifecycle.close_survey(session, "nothing", now=NOW)
        await lifecycle.import_survey(session, example("budget_flash_poll.yaml"), "yaml", now=NOW)
        with pytest.raises(lifecycle.SurveyLifecycleError, match="never opened"):
            await lifecycle.close_survey(session, "budget-flash-poll", now=NOW)
        await lifecycle.open_survey(session, "budget-flash-poll", now=NOW)
        record = await lifecycle.close_survey(session, "budget-flash-poll", now=NOW)
        assert (record.status, record.closed_at) == (SurveyStatus.CLOSED, NOW)
        assert (await lifecycle.close_survey(session, "budget-flash-poll", now=NOW + HOUR)).closed_at == NOW
        assert not lifecycle.is_open(record, NOW)


async def test_answers_outlive_the_persons_erasure(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault
) -> None:
    async with sessions() as session, session.begin():
        contact = await add_person(session, language="en")
        record = await open_example(session, "budget_flash_poll.yaml")
    talk = Talk(sessions, contact.id)
    first = last_question(await talk.press(f"sv:{record.id}:go"))
    await talk.press(data_of(first)[0])
    async with sessions() as session, session.begin():
        person = await session.get_one(Contact, contact.id)
        await privacy.erase(session, vault, person, actor="test", now=NOW)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
