"""Outgoing -> the HTML text of a Telegram message, without its keyboard.

Apart from `render` so that a domain can show the exact text (`hearings.preview`) without importing
aiogram, which the keyboard needs.
"""

from __future__ import annotations

import html

from channels.i18n import render
from channels.message import Outgoing

TELEGRAM_TEXT_LIMIT = 4096


def telegram_text(message: Outgoing, lang: str) -> str:
    """Every character a person or coordinator wrote is escaped: with parse_mode=HTML a bare `<` fails."""
    body = "\n\n".join(html.escape(render(part, lang), quote=False) for part in message.parts)
    if message.progress:
        done, total = message.progress
        body = f"<b>{done}/{total}</b>\n{body}"
    return _truncate(body)


def _truncate(text: str) -> str:
    """Telegram refuses more than 4096 UTF-16 units; cut at a line break and say so with an ellipsis."""
    if len(text.encode("utf-16-le")) // 2 <= TELEGRAM_TEXT_LIMIT:
        return text
    cut = text[: TELEGRAM_TEXT_LIMIT - 10]
    cut = cut[: cut.rfind("\n")] if "\n" in cut[-400:] else cut
    cut = cut[: cut.rfind("&")] if cut.rfind("&") > cut.rfind(";") else cut
    return cut + "\n…"
