"""Capacity and waiting list: going beyond the places waits (in order), maybe takes no place, a place
given up goes to the one waiting longest who is told through the outbox, and waiting people get no
reminders; without a capacity nobody waits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns.errors import InvalidDefinition
from channels.i18n import render
from channels.payload import load_outgoing
from hearings.reminders import enqueue_due_reminders
from hearings.service import HearingConversation
from storage.models import Channel, Contact
from storage.models.hearings import HearingRsvp
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, STARTS, deliveries, draft, hearing, hours


async def _say(session: AsyncSession, person: Contact, hearing_id: int, answer: str, at: datetime) -> str:
    reply = await HearingConversation(session, person, Channel.TELEGRAM, at).choose(
        f"hr:{hearing_id}:{answer}"
    )
    return render(reply[0].parts[0], "en")


async def _waiting(session: AsyncSession) -> dict[int, bool]:
    rows = await session.execute(select(HearingRsvp.contact_id, HearingRsvp.waiting_since.is_not(None)))
    return {contact: bool(waits) for contact, waits in rows.all()}


async def test_waiting_list_in_order_and_moved_up_when_a_place_frees(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, capacity=2)
        a, b, c, d, e = [await add_person(session, language="en") for _ in range(5)]
        minute = timedelta(minutes=1)
        await _say(session, a, found.id, "go", NOW)
        await _say(session, b, found.id, "maybe", NOW + minute)  # maybe takes no place
        await _say(session, c, found.id, "go", NOW + 2 * minute)
        first = await _say(session, d, found.id, "go", NOW + 3 * minute)
        second = await _say(session, e, found.id, "go", NOW + 4 * minute)
        assert (
            first == "“Budget hearing” is full: you are number 1 on the waiting list. We will tell you if a "
            "place frees up."
        )
        assert "number 2" in second
        assert "number 2" in await _say(session, e, found.id, "go", NOW + 5 * minute), (
            "asking again keeps the turn"
        )
        assert await _waiting(session) == {a.id: False, b.id: False, c.id: False, d.id: True, e.id: True}
        await _say(session, c, found.id, "no", NOW + 6 * minute)  # gives up a place: d moves up
        assert await _waiting(session) == {a.id: False, b.id: False, c.id: False, d.id: False, e.id: True}
        await _say(session, e, found.id, "maybe", NOW + 7 * minute)  # leaves the list: nobody moves
        await _say(session, b, found.id, "no", NOW + 8 * minute)  # had no place: nobody moves
        rows = await deliveries(session)
    told = [r for r in rows if ":place@" in r.dedupe_key]
    assert [r.contact_id for r in told] == [d.id]
    assert render(load_outgoing(told[0].payload).parts[0], "en").startswith(
        "A place is free for you at “Budget hearing” on "
    )


async def test_waiting_people_get_no_reminders(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, capacity=1)
        seated, waiting = await add_person(session), await add_person(session)
        await _say(session, seated, found.id, "go", NOW)
        await _say(session, waiting, found.id, "go", NOW)
        assert await enqueue_due_reminders(session, STARTS - hours(24)) == 1
        keys = [r.dedupe_key for r in await deliveries(session) if ":rem" in r.dedupe_key]
    assert keys == [f"h{found.id}:rem24h@{int(STARTS.timestamp())}:p{seated.id}:telegram"]


async def test_without_capacity_nobody_waits(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        people = [await add_person(session) for _ in range(3)]
        for person in people:
            assert (await _say(session, person, found.id, "go", NOW)).startswith("Thank you!")
        assert not any((await _waiting(session)).values())


@pytest.mark.parametrize("value", [0, -3, "many", True])
def test_capacity_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(InvalidDefinition):
        draft(capacity=value)
