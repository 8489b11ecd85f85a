"""Telling people of a status change: followers and the people whose input led to the item ("you said,
we did"), once each, in their language, never the opted-out, never twice, after quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplan_notices, actionplan_views, actionplans
from benchmarking.actionplans import Update
from campaigns.errors import InvalidTransition, NotAllowed
from channels.i18n import render
from channels.payload import load_outgoing
from storage.models import ContactStatus
from storage.models.actionplans import ItemStatus
from storage.models.hearings import HearingQuestion, HearingRsvp, Rsvp
from tests.benchmarking.actionplan_builders import NOW, answer, coordinator, deliveries, item, officer, survey
from tests.campaigns.people import add_person
from tests.hearings.builders import hearing


def _text(payload: dict[str, object], lang: str) -> str:
    message = load_outgoing(payload)
    return "\n".join(render(part, lang) for part in message.parts)


async def test_a_change_reaches_followers_and_contributors_once_each_in_their_language(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        survey_id = await survey(session)
        held = await hearing(session)
        follower = await add_person(session, topics=("action_plan",), language="ru")
        answered = await add_person(session, language="az")
        await answer(session, survey_id, answered.id, "q1")
        both = await add_person(session, topics=("action_plan",), language="hy", sms=True, telegram=False)
        await answer(session, survey_id, both.id, "q1")
        rsvp = await add_person(session, language="ka")
        session.add(
            HearingRsvp(hearing_id=held.id, contact_id=rsvp.id, answer=Rsvp.GOING, channel="telegram")
        )
        asker = await add_person(session, language="en", municipality="batumi")
        session.add(HearingQuestion(hearing_id=held.id, contact_id=asker.id, text="When?"))
        # None of these may be told:
        stopped = await add_person(session, status=ContactStatus.UNSUBSCRIBED, topics=("action_plan",))
        await answer(session, survey_id, stopped.id, "q1")
        declined = await add_person(session)
        await answer(session, survey_id, declined.id, "q1", declined=True)
        other_question = await add_person(session)
        await answer(session, survey_id, other_question.id, "q2")
        elsewhere = await add_person(session, municipality="batumi", topics=("action_plan",))
        await answer(session, survey_id, elsewhere.id, "q1")
        await add_person(session, topics=("hearings",))
        linked = await item(session, survey_questions=(("roads", "q1"),), hearings=(held.id,))
        before = {d.id for d in await deliveries(session)}  # the hearing's own notices
        updated = await actionplans.update_item(
            session,
            linked.id,
            Update(status=ItemStatus.IN_PROGRESS, progress=20),
            await coordinator(session),
            NOW,
        )
        assert updated.change is not None
        again = await actionplan_notices.notify_change(session, updated.change.id, NOW)
        rows = [d for d in await deliveries(session) if d.id not in before]
    assert updated.told.queued == 5 and again.queued == 0
    change = updated.change.id
    by_contact = {row.contact_id: row for row in rows}
    assert sorted(row.dedupe_key for row in rows) == sorted(
        f"actionplan:change:{change}:contact:{c.id}" for c in (follower, answered, both, rsvp, asker)
    )
    assert {c: r.language for c, r in by_contact.items()} == {
        follower.id: "ru",
        answered.id: "az",
        both.id: "hy",
        rsvp.id: "ka",
        asker.id: "en",
    }
    assert by_contact[both.id].channel == "sms"
    assert "Ремонт дороги" in _text(by_contact[follower.id].payload, "ru")
    assert "в работе" in _text(by_contact[follower.id].payload, "ru")
    assert "Yolun təmiri" in _text(by_contact[answered.id].payload, "az")
    assert "Ճանապարհի վերանորոգում" in _text(by_contact[both.id].payload, "hy")
    assert "You said, we did" in _text(by_contact[asker.id].payload, "en")
    assert "You said, we did" not in _text(by_contact[follower.id].payload, "en")
    assert "You said, we did" in _text(
        by_contact[both.id].payload, "en"
    )  # in both groups: the "you said" one


async def test_every_change_is_told_once_and_progress_alone_tells_nobody(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("action_plan",))
        found = await item(session)
        by = await coordinator(session)
        first = await actionplans.update_item(
            session, found.id, Update(status=ItemStatus.IN_PROGRESS), by, NOW
        )
        quiet = await actionplans.update_item(session, found.id, Update(progress=70), by, NOW)
        second = await actionplans.update_item(session, found.id, Update(status=ItemStatus.DONE), by, NOW)
    assert (first.told.queued, quiet.told.queued, second.told.queued) == (1, 0, 1)
    assert quiet.change is None


async def test_a_change_at_night_waits_for_the_end_of_quiet_hours(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    night = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 23:30 in Tbilisi
    async with sessions() as session, session.begin():
        await add_person(session, topics=("action_plan",))
        found = await item(session)
        updated = await actionplans.update_item(
            session, found.id, Update(status=ItemStatus.DELAYED), await coordinator(session), night
        )
        rows = await deliveries(session)
    morning = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 09:00 in Tbilisi
    assert updated.told.goes_at == morning
    assert [row.not_before for row in rows] == [morning]


async def test_a_change_in_the_afternoon_goes_at_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("action_plan",))
        found = await item(session)
        updated = await actionplans.update_item(
            session, found.id, Update(status=ItemStatus.DELAYED), await coordinator(session), NOW
        )
    assert updated.told.goes_at == NOW


@pytest.mark.parametrize(
    ("own", "goes_at"),
    [
        ("off", datetime(2026, 12, 1, 19, 30, tzinfo=UTC)),  # the municipality sends at night
        ("23:00-07:00", datetime(2026, 12, 2, 3, 0, tzinfo=UTC)),  # held until 07:00 Tbilisi
        ("21:00-08:00", datetime(2026, 12, 2, 4, 0, tzinfo=UTC)),  # held until 08:00 Tbilisi
    ],
    ids=["off", "later start", "earlier end"],
)
async def test_a_municipalitys_own_quiet_hours_win(
    sessions: async_sessionmaker[AsyncSession], own: str, goes_at: datetime
) -> None:
    night = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 23:30 in Tbilisi
    async with sessions() as session, session.begin():
        place = await actionplans.municipality(session, "marneuli")
        place.quiet_hours = own
        await add_person(session, topics=("action_plan",))
        found = await item(session)
        updated = await actionplans.update_item(
            session, found.id, Update(status=ItemStatus.DELAYED), await coordinator(session), night
        )
    assert updated.told.goes_at == goes_at


async def test_an_item_awaiting_approval_tells_nobody_until_another_coordinator_approves_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        follower = await add_person(session, topics=("action_plan",), language="ru")
        draft = await item(session, approved=False)
        author, other = await coordinator(session), await coordinator(session, "eka")
        first = await actionplans.update_item(
            session, draft.id, Update(status=ItemStatus.IN_PROGRESS), author, NOW
        )
        latest = await actionplans.update_item(
            session, draft.id, Update(status=ItemStatus.DELAYED), author, NOW
        )
        hidden = await actionplan_views.citizen_plan(session, follower, NOW.date())
        with pytest.raises(NotAllowed):
            await actionplans.approve_item(session, draft.id, author, NOW)  # its own author
        with pytest.raises(NotAllowed):
            await actionplans.approve_item(session, draft.id, await officer(session), NOW)
        approved = await actionplans.approve_item(session, draft.id, other, NOW)
        with pytest.raises(InvalidTransition):
            await actionplans.approve_item(session, draft.id, other, NOW)
        shown = await actionplan_views.citizen_plan(session, follower, NOW.date())
        rows = await deliveries(session)
    assert first.told.waiting and latest.told.waiting and (first.told.queued, latest.told.queued) == (0, 0)
    assert render(hidden[0].parts[0], "en") == "Marneuli has not published an action plan yet."
    assert latest.change is not None and approved.told.queued == 1
    assert [row.dedupe_key for row in rows] == [f"actionplan:change:{latest.change.id}:contact:{follower.id}"]
    assert "задерживается" in _text(rows[0].payload, "ru")
    assert "Ремонт дороги" in "\n".join(render(part, "ru") for part in shown[0].parts)
