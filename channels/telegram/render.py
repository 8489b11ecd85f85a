"""Outgoing -> Telegram: escaped HTML text and an inline keyboard whose buttons carry only ids."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from channels.i18n import render
from channels.message import Outgoing
from channels.telegram.text import telegram_text

CHECK = "✅ "


@dataclass(frozen=True)
class RenderedTelegram:
    text: str
    reply_markup: InlineKeyboardMarkup | None


def render_telegram(message: Outgoing, lang: str) -> RenderedTelegram:
    """The text as `telegram_text`; the buttons carry only ids (callback data) or links."""
    body = telegram_text(message, lang)
    rows: list[list[InlineKeyboardButton]] = []
    columns = max(1, message.columns)
    row: list[InlineKeyboardButton] = []
    for choice in message.choices:
        label = render(choice.label, lang)
        row.append(
            InlineKeyboardButton(
                text=(CHECK + label) if choice.selected else label, callback_data=choice.data
            )
        )
        if len(row) == columns:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.extend([InlineKeyboardButton(text=render(link.label, lang), url=link.url)] for link in message.links)
    return RenderedTelegram(body, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)
