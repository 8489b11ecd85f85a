"""Flood waits and the learned pace as other processes see them, and replies claimed before a broadcast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import lane, outbox
from channels.claims import claim
from channels.delivery import SendOutcome
from channels.holds import ChannelState, current, describe, publish
from channels.outbox import OutboxItem
from channels.ratelimit import ChannelLimit
from channels.replies import REPLY_PREFIX
from storage.db import unit_of_work
from storage.models.contacts import Channel
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.channels.dispatcher_fakes import START, FakeTime, ScriptedSender, make_workers
from tests.channels.recipients import BROADCAST, add_people, items_for

Sessions = async_sessionmaker[AsyncSession]
NOON = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # 14:00 in Tbilisi


async def test_a_hold_published_by_one_process_is_read_by_another(sessions: Sessions) -> None:
    until = NOON + timedelta(seconds=192)
    async with unit_of_work(sessions) as session:
        await publish(session, ChannelState("telegram", 27.0, 30.0, until), now=NOON, replica="a:1")
        await publish(session, ChannelState("telegram", 3.5, 30.0), now=NOON, replica="b:2")
        await publish(session, ChannelState("sms", 1.0, 1.0), now=NOON - timedelta(hours=1), replica="a:1")
    async with sessions() as session:
        states = await current(session, now=NOON + timedelta(seconds=1))
    assert set(states) == {"telegram"}  # the SMS row is stale: that process stopped writing
    assert states["telegram"].pace == 30.5
    assert describe(states) == ["telegram: pace 30.5/s of 30/s, held by Telegram until 14:03:12"]


async def test_an_ended_hold_is_not_reported(sessions: Sessions) -> None:
    async with unit_of_work(sessions) as session:
        await publish(
            session, ChannelState("sms", 0.9, 1.0, NOON + timedelta(seconds=5)), now=NOON, replica="a"
        )
    async with sessions() as session:
        states = await current(session, now=NOON + timedelta(seconds=6))
    assert describe(states) == ["sms: pace 0.9/s of 1/s"]


async def test_a_flood_wait_is_published_and_resumed_without_losing_or_doubling(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[ChannelState] = []

    async def recording(session: AsyncSession, state: ChannelState, *, now: datetime) -> None:
        published.append(state)
        await publish(session, state, now=now)

    monkeypatch.setattr(lane, "publish", recording)
    time = FakeTime()
    people = await add_people(sessions, 6)
    flooded = people[2].address
    sender = ScriptedSender(script={flooded: [SendOutcome.wait(30, "Too Many Requests: retry after 30")]})
    seen: list[tuple[str, float]] = []

    async def note(address: str) -> None:
        seen.append((address, time.seconds))

    sender.before_send = note
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people), now=time.now())
    await make_workers(
        sessions,
        sender,
        time,
        concurrency=1,
        limits={Channel.TELEGRAM: ChannelLimit(rate=30, per_recipient=1)},
    ).drain()
    assert sorted(sender.calls.values()) == [1] * 5 + [2]
    assert [s.address for s in sender.sent].count(flooded) == 1
    refused_at = next(t for a, t in seen if a == flooded)
    after = [t for a, t in seen[seen.index((flooded, refused_at)) + 1 :]]
    assert min(after) >= refused_at + 30  # nothing went during the wait
    assert min(after) <= refused_at + 31  # and it resumed within a second of its end
    async with sessions() as session:
        statuses = set((await session.scalars(select(Delivery.status))).all())
        states = await current(session, now=time.now())
    assert statuses == {DeliveryStatus.SENT}
    holds = [state.held_until for state in published if state.held_until is not None]
    assert holds  # what `campaign status` showed during the wait
    assert abs((holds[0] - (START + timedelta(seconds=refused_at + 30))).total_seconds()) < 0.5
    assert published[-1].held_until is None  # and cleared once it ended
    assert states["telegram"].pace < 30  # it learned from the 429


async def test_due_replies_are_claimed_before_a_broadcast_already_due(sessions: Sessions) -> None:
    time = FakeTime()
    people = await add_people(sessions, 50, channel=Channel.SMS, first_address=995_555_000_000)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, channel=Channel.SMS), now=time.now())
    time.advance(60)
    asker = people[17]
    reply = OutboxItem(
        f"{REPLY_PREFIX}sms:SM1:0", asker.contact_id, Channel.SMS, asker.address, "en", BROADCAST
    )
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, [reply], now=time.now())
        rows = await claim(
            session, channel=Channel.SMS, limit=2, now=time.now(), lease=timedelta(minutes=2), deadline=1e12
        )
    assert [row.reply for row in rows] == [True, False]
    assert rows[0].address == asker.address


async def test_an_sms_reply_goes_out_first_while_a_broadcast_is_queued(sessions: Sessions) -> None:
    time = FakeTime()
    sender = ScriptedSender(channel=Channel.SMS)
    people = await add_people(sessions, 30, channel=Channel.SMS, first_address=995_555_000_000)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people, channel=Channel.SMS), now=time.now())
    asker = people[-1]
    reply = OutboxItem(
        f"{REPLY_PREFIX}sms:SM2:0", asker.contact_id, Channel.SMS, asker.address, "en", BROADCAST
    )
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, [reply], now=time.now())
    await make_workers(sessions, sender, time, limits={Channel.SMS: ChannelLimit(rate=1.0)}).drain()
    assert sender.sent[0].address == asker.address
    assert len(sender.sent) == 31
