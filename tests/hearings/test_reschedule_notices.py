"""Moving a hearing while its notices wait in the outbox: the waiting notices say the new time (rendered
again in place, per channel and language), nobody gets a notice twice, the old time never goes out, and a
notice a worker was sending at that moment is followed by the news of the move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import render
from channels.message import Joined
from channels.payload import load_outgoing
from hearings.reschedule import reschedule
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_person
from tests.channels.dispatcher_fakes import START, FakeTime, ScriptedSender, make_workers
from tests.hearings.builders import STARTS, coordinator, hearing

NIGHT = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # midnight in Tbilisi: notices wait until 09:00
MOVED = STARTS + timedelta(days=2)  # 17 December, 15:00 in Tbilisi


def _said(delivery: Delivery, language: str) -> str:
    return render(Joined(load_outgoing(delivery.payload).parts, "\n"), language)


async def _notices(session: AsyncSession) -> list[Delivery]:
    found = await session.scalars(
        select(Delivery).where(Delivery.dedupe_key.contains(":notice:")).order_by(Delivery.id)
    )
    return list(found.all())


async def test_a_held_notice_goes_out_once_with_the_new_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session, topics=("hearings",), language="en")
        found = await hearing(session, now=NIGHT)  # announced at midnight: the notice is held
        [held] = await _notices(session)
        assert held.status == DeliveryStatus.PENDING and held.not_before > NIGHT
        _, told, _, retimed = await reschedule(
            session, found.id, MOVED, await coordinator(session), NIGHT + timedelta(hours=1)
        )
        assert (told, retimed) == (0, 1)
        address = (await _notices(session))[0].address
    sender = ScriptedSender()
    await make_workers(sessions, sender, FakeTime()).drain()  # the workers run after 09:00 in Tbilisi
    assert held.not_before < START
    to_them = [sent for sent in sender.sent if sent.address == address]
    assert len(to_them) == 1, "one notice, not two"
    text = render(Joined(to_them[0].message.parts, "\n"), "en")
    assert "When: 17 December 2026, 15:00–17:00 (Tbilisi time)" in text
    assert "15 December" not in text, "the old time never goes out"
    async with sessions() as session:
        assert [row.status for row in await _notices(session)] == [DeliveryStatus.SENT]
        assert person.id == (await _notices(session))[0].contact_id


async def test_each_waiting_notice_is_rendered_for_its_own_channel_and_language(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",), language="az", telegram=False, sms=True)
        await add_person(session, topics=("hearings",), language="ka")
        found = await hearing(session, now=NIGHT)
        before = {row.id: _said(row, row.language) for row in await _notices(session)}
        await reschedule(session, found.id, MOVED, await coordinator(session), NIGHT + timedelta(hours=1))
        after = await _notices(session)
    assert len(after) == 2 and {row.channel for row in after} == {"sms", "telegram"}
    for row in after:
        said = _said(row, row.language)
        assert said != before[row.id] and "17" in said and "15 " not in said.split("–")[0], said


async def test_a_notice_already_sent_is_left_alone_and_one_being_sent_is_followed_by_the_news(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    at = NIGHT + timedelta(hours=1)
    async with sessions() as session, session.begin():
        got_it = await add_person(session, topics=("hearings",), language="en")
        on_its_way = await add_person(session, topics=("hearings",), language="en")
        found = await hearing(session, now=NIGHT)
        sent, sending = await _notices(session)
        sent.status, sent.sent_at = DeliveryStatus.SENT, NIGHT
        sending.status, sending.lease_until = DeliveryStatus.SENDING, at + timedelta(seconds=30)
        old_texts = (_said(sent, "en"), _said(sending, "en"))
        _, told, _, retimed = await reschedule(session, found.id, MOVED, await coordinator(session), at)
        assert (told, retimed) == (1, 0)
        sent_after, sending_after = await _notices(session)
        assert (_said(sent_after, "en"), _said(sending_after, "en")) == old_texts
        moved = (await session.scalars(select(Delivery).where(Delivery.dedupe_key.contains(":moved@")))).all()
        assert [row.contact_id for row in moved] == [on_its_way.id] != [got_it.id]


async def test_a_held_notice_keeps_its_release_time_unless_that_is_after_the_new_start(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    at = NIGHT + timedelta(hours=1)  # 01:00 in Tbilisi; notices are held until 09:00
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",), language="en")
        later, sooner = await hearing(session, now=NIGHT), await hearing(session, now=NIGHT)
        release = (await _notices(session))[0].not_before
        by = await coordinator(session)
        await reschedule(session, later.id, MOVED, by, at)
        early = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 08:00 in Tbilisi, before the quiet hours end
        await reschedule(session, sooner.id, early, by, at)
        kept, moved_up = await _notices(session)
    assert kept.not_before == release, "moved later: it still waits for the end of quiet hours"
    assert moved_up.not_before == at, "the hearing now starts before 09:00: it goes at once"
