"""Public hearings on Telegram: /hearings, the RSVP and question buttons, and the typed question or name."""

from __future__ import annotations

import logging
from functools import cache

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import render
from channels.message import Outgoing
from channels.telegram.send import Replies, acknowledge
from handlers.telegram.actionplan_site import PublicSite
from handlers.telegram.filters import InDialog, Namespace
from hearings.service import HearingConversation
from storage.models import Channel, Contact

router = Router(name=__name__)
log = logging.getLogger(__name__)

SIGN_UP_FIRST = "Please send /start to sign up first."


@router.message(Command("hearings"))
async def on_hearings(
    message: Message, bot: Bot, session: AsyncSession, contact: Contact | None, lang: str, replies: Replies
) -> None:
    """List the upcoming hearings of the person's municipality."""
    if contact is None:
        replies.add(message.chat.id, [Outgoing.say(SIGN_UP_FIRST)], lang)
        return
    conversation = HearingConversation(session, contact, Channel.TELEGRAM)
    replies.add(message.chat.id, await conversation.list_upcoming(), contact.language)
    await send_calendar_files(bot, message.chat.id, conversation, contact.language)


@cache
def _public_base_url() -> str | None:
    return PublicSite().public_base_url


async def send_calendar_files(bot: Bot, chat_id: int, conversation: HearingConversation, lang: str) -> int:
    """Each upcoming hearing's .ics as a document captioned with its title (before the list, whose
    buttons stay last); a refused file is logged and the list still goes. Returns how many were sent."""
    sent = 0
    for file in await conversation.calendar_files(_public_base_url()):
        try:
            await bot.send_document(
                chat_id, BufferedInputFile(file.body, filename=file.name), caption=render(file.title, lang)
            )
        except TelegramAPIError as exc:
            log.warning("hearing calendar file not sent: %s", exc)
            continue
        sent += 1
    return sent


@router.callback_query(Namespace("hr", "hq"))
async def on_hearing_button(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    contact: Contact | None,
    lang: str,
    replies: Replies,
) -> None:
    """An RSVP answer or "ask a question" under a notice, a reminder or the list."""
    await acknowledge(bot, query.id)
    if contact is None or query.data is None:
        replies.add(query.from_user.id, [Outgoing.say(SIGN_UP_FIRST)], lang)
        return
    conversation = HearingConversation(session, contact, Channel.TELEGRAM)
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    replies.add(chat_id, await conversation.choose(query.data), contact.language)


@router.message(InDialog("hearing."), ~F.text.startswith("/"))
async def on_hearing_text(
    message: Message, session: AsyncSession, contact: Contact, replies: Replies
) -> None:
    """The question (or name) the person was asked to type; a photo or sticker counts as empty. A command
    is not a question: it goes on to the router that knows it."""
    conversation = HearingConversation(session, contact, Channel.TELEGRAM)
    replies.add(message.chat.id, await conversation.text(message.text or ""), contact.language)
