"""/hearings on Telegram: each upcoming hearing's .ics is sent as a document in the reader's language, at
the instant the officer meant; nothing for people not signed up; a refused document does not stop the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import icalendar
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.telegram.hearings import send_calendar_files
from hearings import officers
from hearings.service import HearingConversation
from storage.models import Channel
from tests.campaigns.people import add_person
from tests.hearings.builders import NOW, STARTS, coordinator, hearing, hours


@dataclass
class FakeBot:
    refuse: int = 0  # refuse this many documents first (the person blocked the bot, say)
    documents: list[tuple[int, str, bytes, str | None]] = field(default_factory=list)

    async def send_document(
        self, chat_id: int, document: BufferedInputFile, caption: str | None = None, **_: Any
    ) -> None:
        if self.refuse:
            self.refuse -= 1
            raise TelegramForbiddenError(
                method=SendDocument(chat_id=chat_id, document=document),
                message="Forbidden: bot was blocked by the user",
            )
        self.documents.append((chat_id, document.filename or "", document.data, caption))


def _start_of(body: bytes) -> Any:
    event = next(iter(icalendar.Calendar.from_ical(body).walk("VEVENT")))
    return event.decoded("dtstart"), str(event.get("summary"))


@pytest.mark.parametrize(
    ("language", "title"), [("az", "Büdcə müzakirəsi"), ("en", "Budget hearing"), ("hy", "ბიუჯეტის განხილვა")]
)
async def test_each_upcoming_hearing_is_a_document_in_the_readers_language(
    sessions: async_sessionmaker[AsyncSession], language: str, title: str
) -> None:
    async with sessions() as session, session.begin():
        first = await hearing(session)
        later = await hearing(session, starts_at=STARTS + hours(48))
        await hearing(session, announced=False, starts_at=STARTS + hours(72))  # a draft is nobody's business
        gone = await hearing(session, starts_at=STARTS + hours(96))
        await officers.cancel(session, gone.id, await coordinator(session), NOW)
        person = await add_person(session, language=language)
        bot = FakeBot()
        sent = await send_calendar_files(
            cast(Bot, bot), 77, HearingConversation(session, person, Channel.TELEGRAM, NOW), language
        )
    assert sent == 2
    assert [(chat, name, caption) for chat, name, _, caption in bot.documents] == [
        (77, f"hearing-{first.id}.ics", title),
        (77, f"hearing-{later.id}.ics", title),
    ]
    assert [_start_of(body) for *_, body, _ in bot.documents] == [
        (STARTS, title),
        (STARTS + hours(48), title),
    ]


async def test_nothing_for_someone_not_signed_up_and_a_refusal_is_skipped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await hearing(session)
        await hearing(session, starts_at=STARTS + hours(48))
        stranger = await add_person(session)
        stranger.consent_at = None
        assert await HearingConversation(session, stranger, Channel.TELEGRAM, NOW).calendar_files() == []
        person = await add_person(session, language="ka")
        bot = FakeBot(refuse=1)
        talk = HearingConversation(session, person, Channel.TELEGRAM, NOW)
        assert await send_calendar_files(cast(Bot, bot), 5, talk, "ka") == 1
    assert len(bot.documents) == 1
