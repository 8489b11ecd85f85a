"""Anything no other router took: stray text, stale or unknown buttons, non-text messages."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import t
from channels.message import Outgoing
from channels.telegram.send import Replies, acknowledge
from contacts.conversation import Conversation
from handlers.context import AppContext
from storage.models import Channel, Contact

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.callback_query()
async def on_unknown_button(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    app: AppContext,
    contact: Contact | None,
    lang: str,
    replies: Replies,
) -> None:
    """Unknown or outdated callback data: say the button is no longer active, never fail."""
    log.info("unknown callback data %r", query.data)
    await acknowledge(bot, query.id, t(lang, "This button is no longer active."))
    if contact is not None and query.message is not None:
        conversation = Conversation(session, app.vault, app.policy, contact, Channel.TELEGRAM)
        replies.add(query.message.chat.id, await conversation.choose("?:"), contact.language)


@router.message()
async def on_other_message(
    message: Message,
    session: AsyncSession,
    app: AppContext,
    contact: Contact | None,
    lang: str,
    replies: Replies,
) -> None:
    """Free text (or a sticker, a photo) nobody asked for gets a helpful answer in the person's language."""
    if contact is None:
        replies.add(message.chat.id, [Outgoing.say("Hello! Send /start to sign up.")], lang)
        return
    conversation = Conversation(session, app.vault, app.policy, contact, Channel.TELEGRAM)
    replies.add(message.chat.id, await conversation.text(message.text or ""), contact.language)
