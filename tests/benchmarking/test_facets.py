"""The municipality stored on a survey response (migration 0014_response_facets), which the index groups
by: written on every path that creates a response, and kept when the person moves afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Channel, Contact, Municipality
from storage.models.surveys import SurveyResponse
from tests.surveys.people import Talk, add_person, open_example


async def _municipality_id(session: AsyncSession, code: str) -> int:
    return await session.scalar(select(Municipality.id).where(Municipality.code == code))  # type: ignore[return-value]


async def _response(sessions: async_sessionmaker[AsyncSession], contact_id: int) -> SurveyResponse:
    async with sessions() as session:
        return await session.scalar(  # type: ignore[return-value]
            select(SurveyResponse).where(SurveyResponse.contact_id == contact_id)
        )


async def _start(
    sessions: async_sessionmaker[AsyncSession],
    channel: Channel,
    *,
    municipality: str,
    simulated: bool = False,
) -> int:
    """A person of `municipality` who starts the open poll through the survey engine on `channel`."""
    async with sessions() as session, session.begin():
        contact = await add_person(session, municipality=municipality, language="az", channel=channel)
        contact.simulated = simulated  # the simulator's people walk the same engine, flagged
        record = await open_example(session, "budget_flash_poll.yaml")
        contact_id, survey_id = contact.id, record.id
    await Talk(sessions, contact_id, channel).press(f"sv:{survey_id}:go")
    return contact_id


@pytest.mark.parametrize(
    ("channel", "simulated"),
    [(Channel.TELEGRAM, False), (Channel.SMS, False), (Channel.TELEGRAM, True), (Channel.SMS, True)],
    ids=["telegram", "sms", "simulator-telegram", "simulator-sms"],
)
async def test_every_way_of_answering_stores_the_municipality(
    sessions: async_sessionmaker[AsyncSession], channel: Channel, simulated: bool
) -> None:
    contact_id = await _start(sessions, channel, municipality="dmanisi", simulated=simulated)
    response = await _response(sessions, contact_id)
    async with sessions() as session:
        assert response.municipality_id == await _municipality_id(session, "dmanisi")
    assert response.language == "az"


async def test_moving_later_keeps_the_answer_where_it_was_given(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contact_id = await _start(sessions, Channel.TELEGRAM, municipality="marneuli")
    async with sessions() as session, session.begin():
        person = await session.get_one(Contact, contact_id)
        person.municipality_id = await _municipality_id(session, "batumi")
        marneuli = await _municipality_id(session, "marneuli")
    assert (await _response(sessions, contact_id)).municipality_id == marneuli


async def test_a_response_added_without_a_municipality_takes_its_persons(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Code that builds a response row itself (imports, test data) still gets it right."""
    async with sessions() as session, session.begin():
        person = await add_person(session, municipality="chokhatauri")
        record = await open_example(session, "budget_flash_poll.yaml")
        session.add(SurveyResponse(survey_id=record.id, contact_id=person.id, channel="sms", language="ka"))
        contact_id, expected = person.id, await _municipality_id(session, "chokhatauri")
    assert (await _response(sessions, contact_id)).municipality_id == expected
    async with sessions() as session, session.begin():
        record_id = (await _response(sessions, contact_id)).survey_id
        session.add(SurveyResponse(survey_id=record_id, contact_id=None, channel="sms", language="ka"))
