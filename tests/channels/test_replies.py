"""Direct replies in the outbox: keyed by event, bounded against loops, and allowed where broadcasts are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.claims import Verdict, claim, recheck
from channels.message import Outgoing, Text
from channels.replies import ReplyLimits, enqueue_replies, is_reply, last_reply_at
from storage.db import unit_of_work
from storage.models.contacts import Channel, Contact, ContactStatus
from storage.models.deliveries import Delivery
from tests.channels.recipients import add_people, items_for

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HELLO = Outgoing(parts=(Text("Sorry, I did not understand. Reply HELP for help."),))


async def _reply(
    session: AsyncSession,
    contact_id: int,
    event: str,
    *,
    understood: bool = True,
    address: str = "599000001",
    now: datetime = NOW,
    replies: list[Outgoing] | None = None,
    limits: ReplyLimits | None = None,
) -> int:
    return await enqueue_replies(
        session,
        contact_id=contact_id,
        channel=Channel.SMS,
        address=address,
        language="en",
        event_id=event,
        replies=replies or [HELLO],
        understood=understood,
        now=now,
        limits=limits,
    )


async def test_the_same_event_is_answered_once(sessions: Sessions) -> None:
    (person,) = await add_people(sessions, 1, channel=Channel.SMS)
    async with unit_of_work(sessions) as session:
        first = await _reply(session, person.contact_id, "SM1", replies=[HELLO, HELLO])
        again = await _reply(session, person.contact_id, "SM1", replies=[HELLO, HELLO])
        keys = list(await session.scalars(select(Delivery.dedupe_key)))

    assert (first, again) == (2, 0)
    assert all(is_reply(key) for key in keys)


async def test_one_did_not_understand_per_window(sessions: Sessions) -> None:
    (person,) = await add_people(sessions, 1, channel=Channel.SMS)
    limits = ReplyLimits(window=timedelta(minutes=10))
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the start of a window
    async with unit_of_work(sessions) as session:
        queued = [
            await _reply(session, person.contact_id, "SM1", understood=False, now=start, limits=limits),
            await _reply(
                session,
                person.contact_id,
                "SM2",
                understood=False,
                now=start + timedelta(minutes=9),
                limits=limits,
            ),
            await _reply(
                session,
                person.contact_id,
                "SM3",
                understood=False,
                now=start + timedelta(minutes=10),
                limits=limits,
            ),
        ]

    assert queued == [1, 0, 1]


async def test_replies_per_window_are_capped(sessions: Sessions) -> None:
    (person,) = await add_people(sessions, 1, channel=Channel.SMS)
    limits = ReplyLimits(window=timedelta(minutes=10), per_window=3)
    async with unit_of_work(sessions) as session:
        queued = [
            await _reply(session, person.contact_id, f"SM{n}", limits=limits, replies=[HELLO, HELLO])
            for n in range(3)
        ]
        later = await _reply(
            session, person.contact_id, "SM9", limits=limits, now=NOW + timedelta(minutes=11)
        )

    assert queued == [2, 1, 0]
    assert later == 1


@pytest.mark.parametrize(
    ("status", "reply", "verdict"),
    [
        pytest.param(ContactStatus.PENDING, True, Verdict.SEND, id="signing-up-reply"),
        pytest.param(ContactStatus.PENDING, False, Verdict.CANCEL, id="signing-up-broadcast"),
        pytest.param(ContactStatus.UNSUBSCRIBED, True, Verdict.SEND, id="stop-confirmation"),
        pytest.param(ContactStatus.UNSUBSCRIBED, False, Verdict.CANCEL, id="stopped-broadcast"),
        pytest.param(ContactStatus.ERASED, True, Verdict.CANCEL, id="erased-reply"),
        pytest.param(ContactStatus.ACTIVE, False, Verdict.SEND, id="active-broadcast"),
    ],
)
async def test_replies_reach_people_broadcasts_must_not(
    sessions: Sessions, status: ContactStatus, reply: bool, verdict: Verdict
) -> None:
    (person,) = await add_people(sessions, 1, channel=Channel.SMS, first_address=599000001)
    async with unit_of_work(sessions) as session:
        await session.execute(update(Contact).values(status=status))
        if reply:
            await _reply(session, person.contact_id, "SM1")
        else:
            await outbox.enqueue(session, items_for([person], channel=Channel.SMS), now=NOW)
        (row,) = await claim(
            session,
            channel=Channel.SMS,
            limit=10,
            now=NOW + timedelta(seconds=1),
            lease=timedelta(minutes=2),
            deadline=1e12,
        )
        verdicts = await recheck(session, [row])

    assert verdicts[row.id][0] is verdict


async def test_the_last_reply_is_when_we_last_answered_them(sessions: Sessions) -> None:
    (person,) = await add_people(sessions, 1, channel=Channel.SMS)
    async with unit_of_work(sessions) as session:
        before = await last_reply_at(session, contact_id=person.contact_id, channel=Channel.SMS)
        await outbox.enqueue(session, items_for([person], channel=Channel.SMS), now=NOW + timedelta(hours=1))
        await _reply(session, person.contact_id, "SM1", now=NOW)
        await _reply(session, person.contact_id, "SM2", now=NOW + timedelta(minutes=5))
        after = await last_reply_at(session, contact_id=person.contact_id, channel=Channel.SMS)
        elsewhere = await last_reply_at(session, contact_id=person.contact_id, channel=Channel.TELEGRAM)

    assert (before, after, elsewhere) == (None, NOW + timedelta(minutes=5), None)  # a broadcast is no reply
