"""A reply longer than one Telegram message, as several messages instead of one cut short.

Telegram refuses a text over 4096 UTF-16 units, counted here on the escaped HTML (which is never shorter
than what Telegram counts). Parts are packed whole into messages while they fit; a part too long on its
own is cut at line breaks (else spaces, else anywhere) in its rendered, unescaped text, so a cut can never
fall inside `&amp;`. The buttons and links go with the last message, the progress mark with the first.
Broadcasts from the outbox stay one message each: their texts are limited when they are written.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from channels.i18n import render
from channels.message import Literal, Outgoing, Renderable

LIMIT = 4096  # UTF-16 units Telegram accepts in one message
SEPARATOR = "\n\n"  # how `render_telegram` joins parts
PROGRESS_ROOM = 20  # "<b>12/34</b>\n" and more


def pieces(message: Outgoing, lang: str, limit: int = LIMIT) -> list[Outgoing]:
    """`message` itself when it fits, else the messages to send in its place, in order."""
    budget = limit - PROGRESS_ROOM
    rendered = [render(part, lang) for part in message.parts]
    if _units(SEPARATOR.join(rendered)) <= budget:
        return [message]
    sized: list[tuple[Renderable, int]] = []
    for part, text in zip(message.parts, rendered, strict=True):
        if _units(text) <= budget:
            sized.append((part, _units(text)))
        else:
            sized.extend((Literal(chunk), _units(chunk)) for chunk in _cut(text, budget))
    groups: list[list[Renderable]] = [[]]
    used = 0
    for part, size in sized:
        if groups[-1] and used + _units(SEPARATOR) + size > budget:
            groups.append([])
            used = 0
        used += (_units(SEPARATOR) if groups[-1] else 0) + size
        groups[-1].append(part)
    last = len(groups) - 1
    return [
        Outgoing(
            parts=tuple(group),
            choices=message.choices if n == last else (),
            links=message.links if n == last else (),
            progress=message.progress if n == 0 else None,
            columns=message.columns,
            urgency=message.urgency,
        )
        for n, group in enumerate(groups)
    ]


def split_reply(reply: Sequence[Outgoing], lang: str) -> list[Outgoing]:
    """Every message of a reply, in pieces where it is too long (a split message is never an edit)."""
    return [piece for message in reply for piece in pieces(message, lang)]


def _units(text: str) -> int:
    return len(html.escape(text, quote=False).encode("utf-16-le")) // 2


def _cut(text: str, budget: int) -> list[str]:
    """`text` in chunks of at most `budget` escaped units, each cut at the last line break (else space)
    in its second half, else where the budget ends; the break itself is dropped."""
    chunks: list[str] = []
    rest = text
    while _units(rest) > budget:
        end = _fitting(rest, budget)
        window = rest[:end]
        newline, space = window.rfind("\n"), window.rfind(" ")
        at = newline if newline > end // 2 else space if space > end // 2 else -1
        if at > 0:
            chunks.append(rest[:at])
            rest = rest[at + 1 :]
        else:
            chunks.append(window)
            rest = rest[end:]
    if rest:
        chunks.append(rest)
    return chunks


def _fitting(text: str, budget: int) -> int:
    """The length of the longest prefix of `text` whose escaped form fits `budget` (at least 1)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _units(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return max(low, 1)
