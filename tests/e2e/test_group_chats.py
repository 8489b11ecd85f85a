"""The bot works only in private chats: in a group it stores nothing and points to the private chat."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from channels.i18n import t
from storage.db import create_engine, session_factory
from storage.models import ChannelIdentity, Contact, IdentityStatus, InboundEvent
from tests.e2e.people import Person
from tests.e2e.service import RunningService
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

GROUP = -1001234567


async def _logged(service: RunningService, line: str, timeout: float = 15) -> None:  # noqa: ASYNC109
    """Wait until the service has logged `line` (the only sign of an update that changes nothing)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while line not in service.log():
        assert loop.time() < deadline, f"not logged: {line!r}"
        await asyncio.sleep(0.05)


async def _count(database_url: str, model: type) -> int:
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(model))
    await engine.dispose()
    return int(count or 0)


async def test_sign_up_in_a_group_stores_nothing_and_points_to_the_private_chat(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    person = Person(telegram, 7301, language_code="az")
    telegram.create_group(GROUP, "Marneuli neighbours")
    added = telegram.group_member_change(person.id, GROUP, "left", "member")
    await _logged(service, f"update {added['update_id']} from a supergroup chat ignored")

    telegram.send_group_text(person.id, GROUP, "/start")
    replies = await telegram.wait_for_messages(GROUP, 1, timeout=15)
    assert replies[0].text == t(
        "az",
        "To keep your data private, I only talk in a private chat. Please write to me there: {link}",
        link="https://t.me/" + telegram.state.bot["username"],
    )
    telegram.send_group_text(person.id, GROUP, "I live in Marneuli, my phone is +995 555 12 34 56")
    chatter = telegram.send_group_text(person.id, GROUP, "hello everyone")
    await _logged(service, f"update {chatter['update_id']} from a supergroup chat ignored")
    assert len(telegram.messages(GROUP)) == 1  # plain chatter in the group is never answered

    for model in (Contact, ChannelIdentity, InboundEvent):
        assert await _count(database_url, model) == 0, model.__name__


async def test_personal_commands_and_membership_changes_in_a_group_touch_no_one(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    person = Person(telegram, 7302, language_code="ka")
    await person.sign_up("ka", "marneuli")
    private_before = len(telegram.messages(person.id))
    telegram.create_group(GROUP, "Marneuli neighbours")

    telegram.send_group_text(person.id, GROUP, "/mydata")
    replies = await telegram.wait_for_messages(GROUP, 1, timeout=15)
    assert "t.me/" in (replies[0].text or "")
    removed = telegram.group_member_change(person.id, GROUP, "member", "kicked")
    await _logged(service, f"update {removed['update_id']} from a supergroup chat ignored")

    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None
        assert identity.chat_id in (None, str(person.id))  # notices still go to the private chat
        assert identity.status == IdentityStatus.ACTIVE
    await engine.dispose()
    assert len(telegram.messages(person.id)) == private_before  # nothing of /mydata anywhere
    assert len(telegram.messages(GROUP)) == 1
