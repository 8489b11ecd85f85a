"""Moving a hearing: going and maybe are told (in their language, the new time, a calendar link), answers
stay, reminders of the old time are withdrawn and the new time's reminders come once, restart or not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from campaigns.errors import InvalidDefinition, InvalidTransition, ScopeDenied
from channels.i18n import TIMEZONE, render
from channels.payload import load_outgoing
from hearings import officers
from hearings.reminders import enqueue_due_reminders
from hearings.reschedule import reschedule
from hearings.service import HearingConversation
from storage.models import AuditEntry, Channel, Contact
from storage.models.campaigns import Role, StaffMember
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import HearingRsvp, Rsvp
from tests.campaigns.people import add_person, add_staff
from tests.hearings.builders import NOW, STARTS, coordinator, deliveries, hearing, hours, officer

MOVED = STARTS + timedelta(days=2)  # 17 December, 15:00 Tbilisi
BASE = "https://civic.example.ge"


async def _answer(session: AsyncSession, person_id: int, hearing_id: int, answer: str, at: datetime) -> None:
    person = await session.get_one(Contact, person_id)
    await HearingConversation(session, person, Channel.TELEGRAM, at).choose(f"hr:{hearing_id}:{answer}")


async def test_moving_tells_going_and_maybe_and_retimes_reminders(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        going = await add_person(session, language="en")
        maybe = await add_person(session, telegram=False, sms=True, language="az")
        no = await add_person(session, language="hy")
        for person, answer in ((going, "go"), (maybe, "maybe"), (no, "no")):
            await _answer(session, person.id, found.id, answer, NOW)
        hearing_id, ids = found.id, (going.id, maybe.id, no.id)
    async with sessions() as session, session.begin():
        assert await enqueue_due_reminders(session, STARTS - hours(24)) == 2
    at = STARTS - hours(23)
    async with sessions() as session, session.begin():
        moved, told, goes, _ = await reschedule(
            session, hearing_id, MOVED, await coordinator(session), at, public_base_url=BASE
        )
        assert (moved.starts_at, told, goes) == (MOVED, 2, at)
    async with sessions() as session:
        rows = await deliveries(session)
        answers = dict((await session.execute(select(HearingRsvp.contact_id, HearingRsvp.answer))).all())
        audited = await session.scalar(select(AuditEntry).where(AuditEntry.action == "hearing.rescheduled"))
    assert answers == {ids[0]: Rsvp.GOING, ids[1]: Rsvp.MAYBE, ids[2]: Rsvp.NOT_GOING}, "answers stay"
    assert audited is not None and audited.details["told"] == 2
    old = [r for r in rows if ":rem" in r.dedupe_key]
    assert [r.status for r in old] == [DeliveryStatus.CANCELLED] * 2, "the old time's reminders never go"
    moved_rows = {r.contact_id: r for r in rows if ":moved@" in r.dedupe_key}
    assert set(moved_rows) == {ids[0], ids[1]}
    english = load_outgoing(moved_rows[ids[0]].payload)
    assert render(english.parts[0], "en") == (
        "The public hearing “Budget hearing” has moved from 15 December 2026, 15:00 to 17 December "
        "2026, 15:00. Your answer still stands."
    )
    assert english.links[0].url == f"{BASE}/m/marneuli/hearings/{hearing_id}.ics"
    assert render(load_outgoing(moved_rows[ids[1]].payload).parts[0], "az") != render(english.parts[0], "en")
    # The old time's windows bring nothing; the new one's once, however often the run repeats.
    counts = []
    for moment in (
        at + timedelta(minutes=1),
        MOVED - hours(24),
        MOVED - hours(24),
        MOVED - hours(2),
        MOVED - hours(2),
    ):
        async with sessions() as session, session.begin():
            counts.append(await enqueue_due_reminders(session, moment))
    assert counts == [0, 2, 0, 2, 0]
    async with sessions() as session:
        fresh = [
            r
            for r in await deliveries(session)
            if ":rem" in r.dedupe_key and r.status != DeliveryStatus.CANCELLED
        ]
    stamp = int(MOVED.timestamp())
    assert sorted(r.dedupe_key for r in fresh) == sorted(
        f"h{hearing_id}:rem{label}@{stamp}:p{person}:{channel}"
        for label in ("24h", "2h")
        for person, channel in ((ids[0], "telegram"), (ids[1], "sms"))
    )


async def _delivered(session: AsyncSession) -> None:
    """The delivery worker sent every message waiting (the tests call no worker)."""
    await session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.PENDING).values(status=DeliveryStatus.SENT)
    )


async def test_moving_back_and_forth_tells_people_each_move(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Moved, moved back, moved again, each news sent before the next move: each is news (after the
    second they expect the first time)."""
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await _answer(session, person.id, found.id, "go", NOW)
        by = await coordinator(session)
        _, first, _, _ = await reschedule(session, found.id, MOVED, by, NOW)
        await _delivered(session)
        _, back, _, _ = await reschedule(session, found.id, STARTS, by, NOW + timedelta(minutes=1))
        await _delivered(session)
        _, again, _, _ = await reschedule(session, found.id, MOVED, by, NOW + timedelta(minutes=2))
        rows = [r for r in await deliveries(session) if ":moved@" in r.dedupe_key]
    assert (first, back, again) == (1, 1, 1)
    said = [render(load_outgoing(row.payload).parts[0], "en") for row in rows]
    assert [text.split(" has moved ")[1] for text in said] == [
        "from 15 December 2026, 15:00 to 17 December 2026, 15:00. Your answer still stands.",
        "from 17 December 2026, 15:00 to 15 December 2026, 15:00. Your answer still stands.",
        "from 15 December 2026, 15:00 to 17 December 2026, 15:00. Your answer still stands.",
    ]


async def test_news_of_a_move_not_sent_yet_gives_way_to_the_next_move(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Moved at night (the news held until 09:00), moved again before then: one message, from the time
    they knew to the newest; moved back to that time before 09:00: no message at all."""
    night = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 23:00 in Tbilisi
    later = MOVED + timedelta(days=1)
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session, language="en")
        await _answer(session, person.id, found.id, "go", NOW)
        by = await coordinator(session)
        await _delivered(session)
        _, first, goes, _ = await reschedule(session, found.id, MOVED, by, night)
        _, second, _, _ = await reschedule(session, found.id, later, by, night + timedelta(minutes=5))
        rows = [r for r in await deliveries(session) if ":moved@" in r.dedupe_key]
        waiting = [r for r in rows if r.status == DeliveryStatus.PENDING]
        assert (first, second, goes.astimezone(TIMEZONE).hour) == (1, 1, 9)
        assert [r.status for r in rows].count(DeliveryStatus.CANCELLED) == 1
        [news] = waiting
        assert render(load_outgoing(news.payload).parts[0], "en").split(" has moved ")[1] == (
            "from 15 December 2026, 15:00 to 18 December 2026, 15:00. Your answer still stands."
        )
        _, back, _, _ = await reschedule(session, found.id, STARTS, by, night + timedelta(minutes=10))
    async with sessions() as session:
        rows = [r for r in await deliveries(session) if ":moved@" in r.dedupe_key]
    assert back == 0, "back at the time they knew: nothing to tell"
    assert {r.status for r in rows} == {DeliveryStatus.CANCELLED}
    assert len({r.dedupe_key for r in rows}) == len(rows) == 2


async def test_moving_back_brings_back_the_reminders_the_move_withdrew(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A reminder withdrawn by a move is due again when the hearing is moved back to its time."""
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session)
        await _answer(session, person.id, found.id, "go", NOW)
        hearing_id = found.id
    async with sessions() as session, session.begin():
        assert await enqueue_due_reminders(session, STARTS - hours(24)) == 1
    async with sessions() as session, session.begin():
        by = await coordinator(session)
        await reschedule(session, hearing_id, MOVED, by, STARTS - hours(23))
        await reschedule(session, hearing_id, STARTS, by, STARTS - hours(22))
    async with sessions() as session, session.begin():
        assert await enqueue_due_reminders(session, STARTS - hours(22) + timedelta(minutes=1)) == 1
        assert await enqueue_due_reminders(session, STARTS - hours(21)) == 0, "and once only"
    async with sessions() as session:
        waiting = [
            r
            for r in await deliveries(session)
            if ":rem" in r.dedupe_key and r.status == DeliveryStatus.PENDING
        ]
    assert [r.dedupe_key for r in waiting] == [
        f"h{hearing_id}:rem24h@{int(STARTS.timestamp())}:p{person.id}:telegram"
    ]


async def test_the_same_move_made_twice_at_once_tells_people_once(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    """Two moves to the same time racing (a double click in the console): the hearing is locked while
    it moves, so the second finds it already there and is refused."""
    if not migrated_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer in at a time: the second move cannot start alongside")
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session)
        await _answer(session, person.id, found.id, "go", NOW)
        hearing_id, by_id = found.id, (await coordinator(session)).id
    async with sessions() as first, first.begin():
        await reschedule(first, hearing_id, MOVED, await first.get_one(StaffMember, by_id), NOW)
        racing = asyncio.create_task(_move(sessions, hearing_id, by_id, NOW + timedelta(seconds=1)))
        done, _ = await asyncio.wait({racing}, timeout=0.5)
        assert not done, "the second move waits for the first"
    with pytest.raises(InvalidDefinition, match="already starts at that time"):
        await racing
    async with sessions() as session:
        told = [r for r in await deliveries(session) if ":moved@" in r.dedupe_key]
    assert len(told) == 1


async def _move(
    sessions: async_sessionmaker[AsyncSession], hearing_id: int, by_id: int, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        await reschedule(session, hearing_id, MOVED, await session.get_one(StaffMember, by_id), now)


@pytest.mark.parametrize(
    ("label", "new_start", "cancel_first", "error"),
    [
        ("a start in the past", NOW - hours(1), False, InvalidDefinition),
        ("the same start", STARTS, False, InvalidDefinition),
        ("a cancelled hearing", MOVED, True, InvalidTransition),
    ],
)
async def test_refused_moves(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    new_start: datetime,
    cancel_first: bool,
    error: type[Exception],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        by = await coordinator(session)
        if cancel_first:
            await officers.cancel(session, found.id, by, NOW)
        with pytest.raises(error):
            await reschedule(session, found.id, new_start, by, NOW)


async def test_an_officer_of_another_municipality_cannot_move_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        with pytest.raises(ScopeDenied):
            await reschedule(session, found.id, MOVED, await officer(session, "dmanisi"), NOW)


async def test_the_notice_links_the_public_calendar_file(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",))
        found = await hearing(session, announced=False)
        await officers.announce(session, found.id, await coordinator(session), NOW, public_base_url=BASE)
        row = (await deliveries(session))[0]
    notice = load_outgoing(row.payload)
    assert [link.url for link in notice.links] == [f"{BASE}/m/marneuli/hearings/{found.id}.ics"]


async def test_cli_reschedule_says_who_is_told_and_when(
    sessions: async_sessionmaker[AsyncSession], migrated_url: str
) -> None:
    now = datetime.now(UTC)
    starts, moved_to = now + timedelta(days=20), now + timedelta(days=22)
    async with sessions() as session, session.begin():
        await add_person(session, topics=("hearings",))  # their notice waits in the outbox
        found = await hearing(session, now=now, starts_at=starts)
        person = await add_person(session, language="ru")
        await _answer(session, person.id, found.id, "maybe", now)
        await add_staff(session, "nino", Role.OFFICER, "marneuli")
    local = moved_to.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
    args = ["hearing", "reschedule", str(found.id), "--starts-at", local, "--as", "nino"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url})
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"hearing {found.id} moved to {local} Tbilisi time; 1 message queued; ")
    assert "\n1 notice not sent yet says the new time\n" in result.output
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env={"DATABASE_URL": migrated_url})
    assert result.exit_code == 1 and "already starts at that time" in result.output


async def test_a_change_to_the_hearing_not_flushed_yet_survives_the_move(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The move reads the hearing again under a lock: what the caller changed before stays changed."""
    async with sessions() as session, session.begin():
        found = await hearing(session)
        by = await coordinator(session)
        found.capacity = 40
        await reschedule(session, found.id, MOVED, by, NOW)
        assert found.capacity == 40
