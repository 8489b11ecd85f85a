"""Reminders: which window is due, "today"/"tomorrow" by Tbilisi days, idempotent every-minute runs, only
people going or maybe (and only those who answered before the window opened), quiet hours, held hearings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.i18n import render
from channels.payload import load_outgoing
from hearings.notices import When
from hearings.reminders import due_offset, enqueue_due_reminders, mark_held, when
from hearings.service import HearingConversation
from storage.models import AuditEntry, Channel, Contact, ContactStatus
from storage.models.hearings import Hearing, HearingStatus
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, STARTS, deliveries, hearing, hours

T = STARTS  # 15:00 Tbilisi, 15 December 2026
S = int(T.timestamp())  # the start in reminder keys


@pytest.mark.parametrize(
    ("label", "now", "expected"),
    [
        ("a week before: nothing", T - timedelta(days=7), None),
        ("one minute before the day-before window", T - hours(24) - timedelta(minutes=1), None),
        ("exactly 24 h before", T - hours(24), "24h"),
        ("3 h before: still the day-before window", T - hours(3), "24h"),
        ("exactly 2 h before", T - hours(2), "2h"),
        ("one minute before the start", T - timedelta(minutes=1), "2h"),
        ("at the start: nothing", T, None),
        ("after the start: nothing", T + hours(1), None),
    ],
)
def test_due_offset(label: str, now: datetime, expected: str | None) -> None:
    found = due_offset(T, now)
    assert (found.label if found else None) == expected, label


@pytest.mark.parametrize(
    ("label", "send_at", "starts_at", "expected"),
    [
        ("same Tbilisi day", datetime(2026, 12, 15, 9, 0, tzinfo=UTC), T, When.TODAY),
        ("previous day", datetime(2026, 12, 14, 11, 0, tzinfo=UTC), T, When.TOMORROW),
        # 21:30 UTC on the 14th is already 01:30 on the 15th in Tbilisi: "today", not "tomorrow".
        (
            "UTC day differs from Tbilisi day",
            datetime(2026, 12, 14, 21, 30, tzinfo=UTC),
            datetime(2026, 12, 15, 5, 30, tzinfo=UTC),
            When.TODAY,
        ),
        (
            "month end",
            datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            When.TOMORROW,
        ),
        ("two days", datetime(2026, 12, 13, 10, 0, tzinfo=UTC), T, When.LATER),
    ],
)
def test_when_names_the_day_in_tbilisi(
    label: str, send_at: datetime, starts_at: datetime, expected: When
) -> None:
    assert when(send_at, starts_at) == expected, label


async def _answer(session: AsyncSession, person: Contact, hearing_id: int, answer: str, at: datetime) -> None:
    await HearingConversation(session, person, Channel.TELEGRAM, at).choose(f"hr:{hearing_id}:{answer}")


async def test_reminders_are_idempotent_and_only_for_going_or_maybe(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        going = await add_person(session, language="en")
        maybe = await add_person(session, telegram=False, sms=True, language="az")
        no = await add_person(session)
        stopped = await add_person(session)
        for person, answer in ((going, "go"), (maybe, "maybe"), (no, "no"), (stopped, "go")):
            await _answer(session, person, found.id, answer, NOW)
        stopped.status = ContactStatus.UNSUBSCRIBED
    moments = [T - hours(24), T - hours(24) + timedelta(minutes=1), T - hours(5), T - hours(2), T - hours(1)]
    counts = []
    for moment in [*moments, *moments]:
        async with sessions() as session, session.begin():
            counts.append(await enqueue_due_reminders(session, moment))
    async with sessions() as session:
        rows = await deliveries(session)
    assert counts == [2, 0, 0, 2, 0] + [0] * 5
    reminders = sorted(r.dedupe_key for r in rows if ":rem" in r.dedupe_key)
    assert reminders == sorted(
        [
            f"h{found.id}:rem24h@{S}:p{going.id}:telegram",
            f"h{found.id}:rem24h@{S}:p{maybe.id}:sms",
            f"h{found.id}:rem2h@{S}:p{going.id}:telegram",
            f"h{found.id}:rem2h@{S}:p{maybe.id}:sms",
        ]
    )
    texts = {
        r.dedupe_key: render(load_outgoing(r.payload).parts[0], "en") for r in rows if r.language == "en"
    }
    assert texts[f"h{found.id}:rem24h@{S}:p{going.id}:telegram"] == (
        "Reminder: the public hearing “Budget hearing” is tomorrow at 15:00."
    )
    assert texts[f"h{found.id}:rem2h@{S}:p{going.id}:telegram"] == (
        "Reminder: the public hearing “Budget hearing” is today at 15:00."
    )


async def test_who_answered_inside_a_window_gets_only_the_next_reminder(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        late = await add_person(session)
        await _answer(session, late, found.id, "go", T - hours(10))
    for moment in (T - hours(10), T - hours(2), T - timedelta(minutes=30)):
        async with sessions() as session, session.begin():
            await enqueue_due_reminders(session, moment)
    async with sessions() as session:
        keys = [r.dedupe_key for r in await deliveries(session)]
    assert keys == [f"h{found.id}:rem2h@{S}:p{late.id}:telegram"]


@pytest.mark.parametrize(
    ("label", "starts_at", "now", "expected_not_before"),
    [
        (
            "day-before reminder at 23:00 waits for 09:00",
            datetime(2026, 12, 15, 19, 0, tzinfo=UTC),
            datetime(2026, 12, 14, 19, 0, tzinfo=UTC),
            datetime(2026, 12, 15, 5, 0, tzinfo=UTC),
        ),
        (
            "2-hour reminder for 08:00 would wait past the start: dropped",
            datetime(2026, 12, 15, 4, 0, tzinfo=UTC),
            datetime(2026, 12, 15, 2, 0, tzinfo=UTC),
            None,
        ),
        (
            "2-hour reminder for 11:00 goes at 09:00",
            datetime(2026, 12, 15, 7, 0, tzinfo=UTC),
            datetime(2026, 12, 15, 5, 0, tzinfo=UTC),
            datetime(2026, 12, 15, 5, 0, tzinfo=UTC),
        ),
    ],
)
async def test_reminders_wait_out_quiet_hours(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    starts_at: datetime,
    now: datetime,
    expected_not_before: datetime | None,
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, starts_at=starts_at)
        person = await add_person(session)
        await _answer(session, person, found.id, "go", NOW)
        await enqueue_due_reminders(session, now)
        rows = [r for r in await deliveries(session) if ":rem" in r.dedupe_key]
    assert [r.not_before for r in rows] == ([expected_not_before] if expected_not_before else []), label


async def test_no_reminders_for_a_cancelled_hearing(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session)
        await _answer(session, person, found.id, "go", NOW)
        found.status = HearingStatus.CANCELLED
        assert await enqueue_due_reminders(session, T - hours(3)) == 0


async def test_finished_hearings_become_held_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session, duration_minutes=120)
        draft = await hearing(session, announced=False)
        assert await mark_held(session, T + hours(1)) == 0, "still going on"
        assert await mark_held(session, T + hours(2)) == 1
        assert await mark_held(session, T + hours(3)) == 0
        statuses = dict((await session.execute(select(Hearing.id, Hearing.status))).all())
        held = (
            await session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "hearing.held"))
        ).all()
    assert statuses == {found.id: HearingStatus.HELD, draft.id: HearingStatus.DRAFT}
    assert held == ["scheduler"]
