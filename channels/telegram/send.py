"""Send a channel-neutral reply to one Telegram chat (interactive answers; broadcasts use the outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, Response, SendMessage

from channels.message import Outgoing
from channels.telegram.pieces import split_reply
from channels.telegram.render import render_telegram

log = logging.getLogger(__name__)


class SendMessageQuietly(SendMessage):
    """`sendMessage` for a reply, whose sent message nothing reads: Telegram's answer is checked (errors,
    429s and the pacer work as for any call) but not parsed into a `Message` with its chat, sender and
    keyboard, about a fifth of a reply's CPU. The name keeps the "Send" the pacer looks for."""

    __returning__ = Any  # type: ignore[assignment]  # the result is not read


class EditMessageTextQuietly(EditMessageText):
    """`editMessageText` for a reply, its answer not parsed (see `SendMessageQuietly`)."""

    __returning__ = Any  # type: ignore[assignment]  # the result is not read


# aiogram validates each answer as `Response[<method's result>]`; pydantic keeps these generic classes only
# weakly, so the garbage collector drops them and a reply rebuilds one every few dozen calls (~20 ms each,
# ~14 % of the CPU of a survey answer before this). Held here for the methods a reply uses.
RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessageQuietly, SendMessage, EditMessageText, AnswerCallbackQuery)
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
                await bot(
                    EditMessageTextQuietly(
                        text=rendered.text,
                        chat_id=chat_id,
                        message_id=edit_message_id,
                        reply_markup=rendered.reply_markup,
                    )
                )
                continue
            except TelegramBadRequest as exc:
                if "message is not modified" in str(exc):
                    continue
                log.info("edit failed (%s); sending a new message instead", exc)
        await bot(SendMessageQuietly(chat_id=chat_id, text=rendered.text, reply_markup=rendered.reply_markup))


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
