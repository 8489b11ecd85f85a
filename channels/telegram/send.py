"""Send a channel-neutral reply to one Telegram chat (interactive answers; broadcasts use the outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, Response, SendMessage

from channels.message import Outgoing
from channels.telegram.pieces import split_reply
from channels.telegram.render import render_telegram

log = logging.getLogger(__name__)

# aiogram validates each answer as `Response[<method's result>]`; pydantic keeps these generic classes only
# weakly, so the garbage collector drops them and a reply rebuilds one every few dozen calls (~20 ms each,
# ~14 % of the CPU of a survey answer before this). Held here for the methods a reply uses.
RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, EditMessageText, AnswerCallbackQuery)
)


async def send_reply(
    bot: Bot,
    chat_id: int | str,
    reply: Sequence[Outgoing],
    lang: str,
    *,
    edit_message_id: int | None = None,
) -> None:
    """Messages in order, each too long for one Telegram message sent as several (`pieces`); one marked
    `edit` replaces the tapped message (a check mark toggled in place)."""
    for message in split_reply(reply, lang):
        rendered = render_telegram(message, lang)
        if message.edit and edit_message_id is not None:
            try:
                await bot.edit_message_text(
                    text=rendered.text,
                    chat_id=chat_id,
                    message_id=edit_message_id,
                    reply_markup=rendered.reply_markup,
                )
                continue
            except TelegramBadRequest as exc:
                if "message is not modified" in str(exc):
                    continue
                log.info("edit failed (%s); sending a new message instead", exc)
        await bot.send_message(chat_id=chat_id, text=rendered.text, reply_markup=rendered.reply_markup)


async def acknowledge(bot: Bot, query_id: str, text: str | None = None) -> None:
    """Stop the button's spinner. A query Telegram no longer knows (too old, replayed) is not an error."""
    try:
        await bot.answer_callback_query(query_id, text=text)
    except TelegramBadRequest as exc:
        log.info("callback query not answered: %s", exc.message)


@dataclass
class _Pending:
    chat_id: int | str
    reply: Sequence[Outgoing]
    lang: str
    edit_message_id: int | None


@dataclass
class Replies:
    """Replies collected while an update is handled, sent once its transaction has committed."""

    pending: list[_Pending] = field(default_factory=list)

    def add(
        self, chat_id: int | str, reply: Sequence[Outgoing], lang: str, *, edit_message_id: int | None = None
    ) -> None:
        self.pending.append(_Pending(chat_id, reply, lang, edit_message_id))

    async def send(self, bot: Bot) -> None:
        for item in self.pending:
            await send_reply(bot, item.chat_id, item.reply, item.lang, edit_message_id=item.edit_message_id)
        self.pending.clear()
