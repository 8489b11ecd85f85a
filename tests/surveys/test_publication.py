"""Public results: only surveys made public, only this municipality's column, nothing under 5 shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AuditEntry, Contact, ContactStatus, Municipality
from storage.models.surveys import ResponseStatus, SurveyAnswer, SurveyResponse
from surveys import lifecycle
from surveys.publication import NotFound, public_results, publish

POLL = Path(__file__).resolve().parents[2] / "surveys" / "examples" / "budget_flash_poll.yaml"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _answered(session: AsyncSession, code: str, values: list[str], *, simulated: bool = False) -> None:
    record = await lifecycle.survey_by_code(session, "budget-flash-poll")
    place = await session.scalar(select(Municipality).where(Municipality.code == code))
    assert record is not None and place is not None
    for value in values:
        person = Contact(
            language="ka",
            status=ContactStatus.ACTIVE,
            municipality_id=place.id,
            consent_at=NOW,
            consent_version="v",
            created_at=NOW,
            simulated=simulated,
        )
        session.add(person)
        await session.flush()
        response = SurveyResponse(
            survey_id=record.id,
            contact_id=person.id,
            channel="sms",
            language="ka",
            status=ResponseStatus.COMPLETED,
        )
        session.add(response)
        await session.flush()
        session.add(SurveyAnswer(response_id=response.id, question="priority", value=value))


@pytest.fixture
async def place(sessions: async_sessionmaker[AsyncSession]) -> Municipality:
    async with sessions() as session, session.begin():
        survey, source = lifecycle.load_survey_file(POLL)
        await lifecycle.import_survey(session, survey, source)
        await lifecycle.open_survey(session, "budget-flash-poll", municipalities=["marneuli", "dmanisi"])
        found = await session.scalar(select(Municipality).where(Municipality.code == "marneuli"))
        assert found is not None
        return found


async def test_nothing_is_public_until_published_and_publishing_is_audited(
    sessions: async_sessionmaker[AsyncSession], place: Municipality
) -> None:
    async with sessions() as session, session.begin():
        assert await public_results(session, place) == []
        await publish(session, "budget-flash-poll", public=True, actor="staff:nino", now=NOW)
        assert [s.code for s in await public_results(session, place)] == ["budget-flash-poll"]
        await publish(session, "budget-flash-poll", public=False, actor="staff:nino", now=NOW)
        assert await public_results(session, place) == []
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert actions[-2:] == ["survey.published", "survey.unpublished"]
        with pytest.raises(NotFound):
            await publish(session, "no-such-survey", public=True, actor="staff:nino")


async def test_small_groups_and_simulated_people_never_show(
    sessions: async_sessionmaker[AsyncSession], place: Municipality
) -> None:
    async with sessions() as session, session.begin():
        await publish(session, "budget-flash-poll", public=True, actor="staff:nino", now=NOW)
        await _answered(session, "marneuli", ["roads"] * 4)
        await _answered(session, "marneuli", ["roads"] * 3, simulated=True)
        await _answered(session, "dmanisi", ["water"] * 9)
        [survey] = await public_results(session, place)
        assert survey.respondents is None  # 4 real people: nothing shown
        await _answered(session, "marneuli", ["water"] * 6 + ["kindergartens"] * 5)
        [survey] = await public_results(session, place)
        question = survey.questions[0]
        counts = {row.value: row.count for row in question.rows}
        assert survey.respondents == 15 and question.respondents == 15
        # 4 "roads" are hidden, and so is one more count, or 15 - 6 - 5 would give them away
        assert counts == {**counts, "water": 6, "roads": None, "kindergartens": None, "lighting": 0}
