"""The delivery workers through aiogram to the fake Bot API, in real time: 429s, 403s, pacing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels import outbox
from channels.dispatcher import DeliveryWorkers
from channels.ratelimit import ChannelLimit
from channels.telegram.client import create_bot
from channels.telegram.sender import TelegramSender
from storage.db import unit_of_work
from storage.models.contacts import Channel, ChannelIdentity, IdentityStatus
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.channels.recipients import Person, add_people, items_for
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def _people(sessions: Sessions, telegram: FakeTelegram, count: int) -> list[Person]:
    people = await add_people(sessions, count)
    for person in people:
        telegram.register_user(int(person.address), "Citizen")
    return people


async def _deliver(
    sessions: Sessions, telegram: FakeTelegram, rate: float, until: Callable[[], bool] | None = None
) -> None:
    """Drain what is due; or, with `until`, keep the workers running (retries included) until it holds."""
    bot = create_bot(DEFAULT_TOKEN, telegram.base_url, retry=False)
    try:
        workers = DeliveryWorkers(
            sessions,
            {Channel.TELEGRAM: TelegramSender(bot)},
            {Channel.TELEGRAM: ChannelLimit(rate=rate, per_recipient=1.0)},
            concurrency=8,
            lease_seconds=60,
        )
        if until is None:
            await workers.drain()
            return
        stop = asyncio.Event()
        running = asyncio.create_task(workers.run(stop))
        try:
            await telegram.wait_for(until, timeout=30)
        finally:
            stop.set()
            await running
    finally:
        await bot.session.close()


async def _statuses(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(Delivery.status))).all())


async def test_pacing_at_the_limit_meets_no_flood_control(sessions: Sessions, telegram: FakeTelegram) -> None:
    people = await _people(sessions, telegram, 45)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people))
    await _deliver(sessions, telegram, rate=30)
    assert telegram.stats()["rate_limited"] == 0
    assert all(len(telegram.messages(int(p.address))) == 1 for p in people)
    assert set(await _statuses(sessions)) == {DeliveryStatus.SENT}


async def test_429s_are_honoured_and_nothing_is_lost_or_doubled(
    sessions: Sessions, telegram: FakeTelegram
) -> None:
    telegram.configure_limits(global_limit=10)  # the bot's real limit is lower than configured
    people = await _people(sessions, telegram, 30)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for(people))
    await _deliver(sessions, telegram, rate=40, until=lambda: telegram.stats()["sent"] >= len(people))
    assert telegram.stats()["rate_limited_global"] > 0
    assert [len(telegram.messages(int(p.address))) for p in people] == [1] * len(people)
    assert set(await _statuses(sessions)) == {DeliveryStatus.SENT}


async def test_messages_to_one_chat_are_spaced_and_all_arrive(
    sessions: Sessions, telegram: FakeTelegram
) -> None:
    telegram.configure_limits(per_chat_burst=1)  # strict: a chat's 429s are retried after their pause
    people = await _people(sessions, telegram, 4)
    async with unit_of_work(sessions) as session:
        for step in (1, 2, 3):
            await outbox.enqueue(session, items_for(people, step_id=step))

    def everyone_has_three() -> bool:
        return all(len(telegram.messages(int(p.address))) >= 3 for p in people)

    await _deliver(sessions, telegram, rate=30, until=everyone_has_three)
    assert [len(telegram.messages(int(p.address))) for p in people] == [3] * 4
    assert telegram.stats()["rate_limited_global"] == 0  # spacing one chat never flooded the bot
    assert set(await _statuses(sessions)) == {DeliveryStatus.SENT}


async def test_a_person_who_blocked_the_bot_is_marked_and_never_tried_again(
    sessions: Sessions, telegram: FakeTelegram
) -> None:
    blocked, *others = await _people(sessions, telegram, 3)
    telegram.block(int(blocked.address))
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for([blocked, *others], step_id=1))
    await _deliver(sessions, telegram, rate=30)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, items_for([blocked, *others], step_id=2))
    await _deliver(sessions, telegram, rate=30)
    assert telegram.stats()["forbidden"] == 1
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(Delivery).where(Delivery.contact_id == blocked.contact_id).order_by(Delivery.step_id)
            )
        ).all()
        identity = await session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.address == blocked.address)
        )
    assert [row.status for row in rows] == [DeliveryStatus.UNREACHABLE] * 2
    assert rows[0].last_error is not None and "blocked" in rows[0].last_error
    assert identity is not None and identity.status == IdentityStatus.UNREACHABLE
    assert [len(telegram.messages(int(p.address))) for p in others] == [2, 2]
