"""Interactive replies through the lane's pacer, against the strict fake Bot API, in real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from channels.message import Literal, Outgoing
from channels.ratelimit import ChannelLimit, ChannelPacer
from channels.telegram.client import create_bot
from channels.telegram.pacing import PacedRequests, pace_replies
from channels.telegram.retry import RetryMiddleware
from channels.telegram.send import Replies
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

HELLO = Outgoing(parts=(Literal("Hello"),))
PEOPLE = range(701, 716)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        for user in PEOPLE:
            fake.register_user(user, "Citizen")
        yield fake


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = create_bot(DEFAULT_TOKEN, telegram.base_url)
    yield bot
    await bot.session.close()


def test_replies_go_through_the_retry_and_then_the_pacer(bot: Bot) -> None:
    pacer = ChannelPacer(ChannelLimit(rate=30, per_recipient=1))
    pace_replies(bot, pacer)
    pace_replies(bot, pacer)  # once is enough
    kinds = [type(m) for m in bot.session.middleware]
    assert kinds == [RetryMiddleware, PacedRequests]  # the first registered is the outermost


async def test_replies_from_many_people_at_once_meet_no_flood_control(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.configure_limits(global_limit=5)  # strict: 5 in any sliding second
    pace_replies(bot, ChannelPacer(ChannelLimit(rate=5, per_recipient=1)))
    replies = [Replies() for _ in PEOPLE]
    for reply, user in zip(replies, PEOPLE, strict=True):
        reply.add(user, [HELLO], "en")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(reply.send(bot) for reply in replies))
    elapsed = loop.time() - started
    assert [len(telegram.messages(user)) for user in PEOPLE] == [1] * len(PEOPLE)
    assert elapsed >= (len(PEOPLE) - 1) / 5  # spaced out, not sent at once and retried
    assert telegram.stats()["rate_limited"] <= 1  # one at most, from arrival jitter on a busy machine


async def test_a_reply_that_meets_a_429_is_sent_once_after_it(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.configure_limits(global_limit=1)  # the bot was told more than Telegram allows
    pacer = ChannelPacer(ChannelLimit(rate=10, per_recipient=1))
    pace_replies(bot, pacer)
    reply = Replies()
    for user in (701, 702, 703):
        reply.add(user, [HELLO], "en")
    await reply.send(bot)
    assert [len(telegram.messages(user)) for user in (701, 702, 703)] == [1, 1, 1]
    assert telegram.stats()["rate_limited"] >= 1
    assert pacer.pace.rate < 10  # and the outbox, sharing the pacer, slows down too
