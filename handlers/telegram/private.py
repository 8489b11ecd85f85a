"""The bot talks with a person only in their private chat with it.

In a group every member would read the privacy notice, the special-category questions and `/mydata`, and
the group's chat would become the person's address for later personal notices. So an update from any chat
but a private one reaches no handler and stores nothing (not even the update record): a command or a
button pressed there gets one line pointing to the private chat; anything else, including the bot being
added to or removed from a group, is only logged. Block and unblock come as `my_chat_member` updates of
the private chat, so a group's membership change never marks a person reachable or unreachable.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, Message, TelegramObject, Update, User
from aiogram.utils.text_decorations import html_decoration

from channels.i18n import negotiate, t
from channels.message import N_

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

PRIVATE_ONLY = N_(
    "To keep your data private, I only talk in a private chat. Please write to me there: {link}"
)
PRIVATE_ONLY_SHORT = N_("To keep your data private, I only talk in a private chat with you.")


class PrivateChatsOnly(BaseMiddleware):
    """Outer update middleware, before the unit of work: non-private chats never open a transaction."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None or chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        assert isinstance(event, Update)
        log.info(
            "update %s from a %s chat ignored: the bot works in private chats only",
            event.update_id,
            chat.type,
        )
        user: User | None = data.get("event_from_user")
        lang = negotiate(user.language_code if user else None)
        bot: Bot = data["bot"]
        try:
            if event.callback_query is not None:
                await bot.answer_callback_query(
                    event.callback_query.id, text=t(lang, PRIVATE_ONLY_SHORT), show_alert=True
                )
            elif event.message is not None and await _addressed_to_bot(event.message, bot):
                me = await bot.me()
                link = f"https://t.me/{me.username}" if me.username else ""
                text = t(lang, PRIVATE_ONLY, link=link) if link else t(lang, PRIVATE_ONLY_SHORT)
                await bot.send_message(
                    chat.id, html_decoration.quote(text), reply_to_message_id=event.message.message_id
                )
        except TelegramAPIError as exc:  # e.g. the bot may not write in that group: nothing else to do
            log.info("could not point update %s to the private chat: %s", event.update_id, exc)
        return None


async def _addressed_to_bot(message: Message, bot: Bot) -> bool:
    """A command, a mention of the bot or a reply to it: the only group messages worth one line.

    Anything else stays unanswered, so a bot whose group privacy mode is off never floods a group.
    """
    text = message.text or message.caption or ""
    if text.startswith("/"):
        return True
    me = await bot.me()
    if me.username and f"@{me.username}".lower() in text.lower():
        return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == me.id)
