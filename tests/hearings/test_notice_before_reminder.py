"""A notice and its reminder never reach a person together: while the notice waits (quiet hours) the
reminder waits too, and it is queued only once the notice has been out for `NOTICE_GAP`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hearings.reminders import NOTICE_GAP, enqueue_due_reminders
from hearings.service import HearingConversation
from storage.models import Channel
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.campaigns.people import add_person
from tests.hearings.builders import STARTS, hearing, hours

WINDOW = STARTS - hours(20)  # inside the day-before window


@pytest.mark.parametrize(
    ("label", "notice", "sent_ago", "queued"),
    [
        ("notice still held by quiet hours", DeliveryStatus.PENDING, None, 0),
        ("notice being sent", DeliveryStatus.SENDING, None, 0),
        ("notice sent this very minute", DeliveryStatus.SENT, timedelta(seconds=20), 0),
        ("notice sent just under the gap ago", DeliveryStatus.SENT, NOTICE_GAP - timedelta(seconds=1), 0),
        ("notice sent longer ago than the gap", DeliveryStatus.SENT, NOTICE_GAP + timedelta(seconds=1), 1),
        ("notice failed: the reminder still informs", DeliveryStatus.FAILED, None, 1),
    ],
)
async def test_the_reminder_waits_for_the_notice(
    sessions: async_sessionmaker[AsyncSession],
    label: str,
    notice: DeliveryStatus,
    sent_ago: timedelta | None,
    queued: int,
) -> None:
    async with sessions() as session, session.begin():
        person = await add_person(session, topics=("hearings",))
        found = await hearing(session)  # the notice is queued for the person
        await HearingConversation(session, person, Channel.TELEGRAM, WINDOW - hours(10)).choose(
            f"hr:{found.id}:go"
        )
        row = (await session.scalars(select(Delivery).where(Delivery.dedupe_key.contains(":notice:")))).one()
        row.status = notice
        row.sent_at = WINDOW - sent_ago if sent_ago else None
        assert await enqueue_due_reminders(session, WINDOW) == queued, label


async def test_someone_never_sent_the_notice_is_reminded_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        found = await hearing(session)
        person = await add_person(session)  # does not follow hearings: found it through /hearings
        await HearingConversation(session, person, Channel.TELEGRAM, WINDOW - hours(10)).choose(
            f"hr:{found.id}:go"
        )
        assert await enqueue_due_reminders(session, WINDOW) == 1
        # the next run queues nothing more
        assert await enqueue_due_reminders(session, WINDOW + timedelta(minutes=1)) == 0
