"""/actionplan through the real dispatcher (every router, the unit-of-work middleware): citizens read the
plan in their language; staff go item -> status -> progress -> note -> save, with ids-only buttons."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from itertools import count
from typing import Any, cast

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Update
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarking import actionplans
from bot.app import build_dispatcher
from channels.i18n import render
from contacts.privacy import PrivacyPolicy
from contacts.vault import DataVault
from handlers.context import AppContext
from handlers.simulator.telegram_style import TelegramStyle
from storage.models.actionplans import ActionPlanChange, ItemStatus
from storage.models.campaigns import Role
from storage.models.deliveries import Delivery
from tests.benchmarking.actionplan_builders import coordinator, item
from tests.campaigns.people import add_person, add_staff

TOKEN = "42:AAFakeTokenForTheActionPlanTests0000000"
OFFICER = 5101
_updates = count(1)


class RecordingSession(BaseSession):
    """A Bot API session that records what the bot sends instead of sending it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SendMessage] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        if isinstance(method, SendMessage):
            self.sent.append(method)
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


class _Context:
    """The app context of this module's one dispatcher (a router attaches to one dispatcher per process),
    pointed at each test's database."""

    sessions: async_sessionmaker[AsyncSession]
    vault: DataVault
    policy: PrivacyPolicy


_CONTEXT = _Context()
_DISPATCHER: list[Dispatcher] = []


class Chat:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
    ) -> None:
        self.recorder = RecordingSession()
        self.bot = Bot(TOKEN, session=self.recorder)
        _CONTEXT.sessions, _CONTEXT.vault, _CONTEXT.policy = sessions, vault, policy
        if not _DISPATCHER:
            _DISPATCHER.append(build_dispatcher(cast(AppContext, _CONTEXT)))
        self.dispatcher = _DISPATCHER[0]

    async def _feed(self, user: int, payload: dict[str, Any]) -> list[SendMessage]:
        before = len(self.recorder.sent)
        update = Update.model_validate({"update_id": next(_updates), **payload}, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update)
        return self.recorder.sent[before:]

    async def say(self, user: int, text: str) -> list[SendMessage]:
        sender = {"id": user, "is_bot": False, "first_name": "T", "language_code": "en"}
        message = {
            "message_id": next(_updates),
            "date": 0,
            "chat": {"id": user, "type": "private"},
            "from": sender,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._feed(user, {"message": message})

    async def press(self, user: int, data: str) -> list[SendMessage]:
        sender = {"id": user, "is_bot": False, "first_name": "T", "language_code": "en"}
        message = {"message_id": 1, "date": 0, "chat": {"id": user, "type": "private"}, "text": "q"}
        query = {
            "id": str(next(_updates)),
            "from": sender,
            "chat_instance": "1",
            "data": data,
            "message": message,
        }
        return await self._feed(user, {"callback_query": query})


def buttons(sent: list[SendMessage]) -> list[str]:
    found: list[str] = []
    for method in sent:
        markup = method.reply_markup
        for row in getattr(markup, "inline_keyboard", None) or []:
            found.extend(button.callback_data for button in row if button.callback_data)
    return found


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy) -> Chat:
    return Chat(sessions, vault, policy)


async def test_a_citizen_reads_the_plan_in_their_language(
    sessions: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    async with sessions() as session, session.begin():
        reader = await add_person(session, language="ru")
        found = await item(session)
        await actionplans.update_item(
            session,
            found.id,
            actionplans.Update(status=ItemStatus.IN_PROGRESS, progress=40),
            await coordinator(session),
        )
        user = int(reader.identities[0].address)
    sent = await chat.say(user, "/actionplan")
    assert len(sent) == 1
    assert "Ремонт дороги" in sent[0].text and "40%" in sent[0].text
    assert buttons(sent) == []


async def test_someone_unknown_is_asked_to_sign_up(chat: Chat) -> None:
    sent = await chat.say(4242, "/actionplan")
    assert len(sent) == 1 and "/start" in sent[0].text


async def test_an_officer_updates_an_item_with_buttons_and_a_note(
    sessions: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    async with sessions() as session, session.begin():
        await add_staff(session, "nino", Role.OFFICER, "marneuli", telegram_id=OFFICER)
        follower = await add_person(session, topics=("action_plan",), language="az")
        mine = await item(session)
        theirs = await item(session, "dmanisi")
    offered = buttons(await chat.say(OFFICER, "/actionplan"))
    assert offered == [f"apl:i:{mine.id}", "apl:x"]
    assert buttons(await chat.press(OFFICER, f"apl:i:{mine.id}")) == [
        f"apl:s:{mine.id}:{status.value}" for status in ItemStatus
    ] + ["apl:x"]
    progress = buttons(await chat.press(OFFICER, f"apl:s:{mine.id}:in_progress"))
    assert progress == [f"apl:p:{mine.id}:{n}" for n in (0, 25, 50, 75, 100)] + [
        f"apl:p:{mine.id}:keep",
        "apl:x",
    ]
    assert buttons(await chat.press(OFFICER, f"apl:p:{mine.id}:50")) == ["apl:n", "apl:x"]
    confirm = await chat.say(OFFICER, "Contract signed with the builder")
    assert buttons(confirm) == ["apl:ok", "apl:x"]
    assert "Contract signed with the builder" in confirm[0].text
    saved = await chat.press(OFFICER, "apl:ok")
    assert "1" in saved[0].text
    stale = await chat.press(OFFICER, "apl:ok")
    assert buttons(stale) == [] and "/actionplan" in stale[0].text
    await chat.say(OFFICER, "/actionplan")
    refused = await chat.press(OFFICER, f"apl:i:{theirs.id}")  # a forged button for another municipality
    assert "own municipality" in refused[0].text
    async with sessions() as session:
        changes = (
            await session.scalars(
                select(ActionPlanChange).where(
                    ActionPlanChange.item_id == mine.id, ActionPlanChange.from_status.is_not(None)
                )
            )
        ).all()
        queued = (await session.scalars(select(Delivery.contact_id))).all()
        untouched = await actionplans.get_item(session, theirs.id)
    assert [(c.to_status, c.progress, c.note, c.by) for c in changes] == [
        ("in_progress", 50, "Contract signed with the builder", "nino")
    ]
    assert queued == [follower.id]
    assert untouched.status == ItemStatus.PLANNED
    assert all(len(data.encode()) <= 64 for data in offered)


async def test_the_simulators_telegram_style_shows_the_same_plan(
    sessions: async_sessionmaker[AsyncSession], vault: DataVault, policy: PrivacyPolicy
) -> None:
    async with sessions() as session, session.begin():
        reader = await add_person(session, language="hy")
        await item(session)
        style = TelegramStyle(
            session,
            AppContext(sessions, vault, policy),
            reader.identities[0].address,
            "en",
            datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        )
        reply, lang = await style.handle(text="/actionplan")
    assert lang == "hy"
    assert "Ճանապարհի վերանորոգում" in "\n".join(render(part, lang) for part in reply[0].parts)
