"""Outgoing -> Telegram: escaped HTML text and an inline keyboard whose buttons carry only ids."""

from __future__ import annotations

import html
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from channels.i18n import render
from channels.message import Outgoing

CHECK = "✅ "
TELEGRAM_TEXT_LIMIT = 4096


@dataclass(frozen=True)
class RenderedTelegram:
    text: str
    reply_markup: InlineKeyboardMarkup | None


def render_telegram(message: Outgoing, lang: str) -> RenderedTelegram:
    """Every character a person or coordinator wrote is escaped: with parse_mode=HTML a bare `<` fails."""
    body = "\n\n".join(html.escape(render(part, lang), quote=False) for part in message.parts)
    if message.progress:
        done, total = message.progress
        body = f"<b>{done}/{total}</b>\n{body}"
    body = _truncate(body)
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


def _truncate(text: str) -> str:
    """Telegram refuses more than 4096 UTF-16 units; cut at a line break and say so with an ellipsis."""
    if len(text.encode("utf-16-le")) // 2 <= TELEGRAM_TEXT_LIMIT:
        return text
    cut = text[: TELEGRAM_TEXT_LIMIT - 10]
    cut = cut[: cut.rfind("\n")] if "\n" in cut[-400:] else cut
    cut = cut[: cut.rfind("&")] if cut.rfind("&") > cut.rfind(";") else cut
    return cut + "\n…"
