"""Outgoing -> one SMS body, and the numbers people type back -> the choice they picked.

A basic phone has no buttons, so choices become numbered lines ("1 Batumi") and the person answers with
the number. Both directions live here so that the number shown and the number read can never disagree:
choices are numbered from 1 in the order the message lists them, and `pick_choice` maps a number back
only to a choice that was offered (anything else is None, never a guess).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from channels.i18n import render
from channels.message import N_, Choice, Literal, Outgoing, Text
from channels.sms.transliterate import to_latin
from channels.textnorm import normalize_reply

REPLY_HINT = N_("Reply {numbers}")
# A marker that keeps an English SMS in GSM-7 (a check mark would turn the whole text into UCS-2).
SELECTED = " *"
_ONE_NUMBER = re.compile(r"\d{1,3}")
_NEGATIVE = re.compile(r"\s*[-\u2212\u2013]\s*\d")  # normalization trims a leading dash; "-1" is no choice
_SEPARATORS = re.compile(r"[\s,;.+&]+")


def render_sms(message: Outgoing, lang: str, *, latin: bool = False) -> str:
    """The SMS body: progress, text parts, numbered choices with a "Reply 1-4" hint, then links.

    A message with progress ("2/5") is a survey question, whose text already says how to answer
    (one number, several, a skip word): it gets no second hint.

    `latin` romanizes the whole body (`to_latin`): only for people who asked for it, or whose
    municipality chose it, since it changes how their own language looks.
    """
    lines: list[str] = []
    texts = [render(part, lang) for part in message.parts]
    texts = [text for text in texts if text]
    if message.progress:
        done, total = message.progress
        first = texts[0] if texts else ""
        texts[:1] = [f"{done}/{total} {first}".rstrip()]
    lines.extend(texts)
    lines.extend(choice_lines(message.choices, lang))
    if message.choices and not message.progress:  # a question of a survey says how to answer itself
        lines.append(render(Text.of(REPLY_HINT, numbers=Literal(number_range(len(message.choices)))), lang))
    lines.extend(f"{render(link.label, lang)}: {link.url}" for link in message.links)
    body = "\n".join(lines)
    return to_latin(body, lang) if latin else body


def choice_lines(choices: Sequence[Choice], lang: str) -> list[str]:
    """ "1 Batumi", "2 Chokhatauri"...: the one numbering every SMS uses (`pick_choice` reads it back)."""
    return [
        f"{number} {render(choice.label, lang)}{SELECTED if choice.selected else ''}"
        for number, choice in enumerate(choices, 1)
    ]


def number_range(count: int) -> str:
    """What to type, as the hint shows it: "1" for one choice, "1-4" for four."""
    if count < 1:
        raise ValueError("a hint needs at least one choice")
    return "1" if count == 1 else f"1-{count}"


def pick_choice(reply: str, offered: Sequence[str]) -> str | None:
    """The offered choice data the typed number stands for, or None when it is not one of them.

    Digits of any script and stray punctuation are forgiven ("２", "1.", "#3", "1️⃣"); a number outside
    1..len(offered), a zero, a negative number, or anything that is not a single number is None.
    """
    if _NEGATIVE.match(reply):
        return None
    text = normalize_reply(reply)
    if not _ONE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return offered[number - 1] if 1 <= number <= len(offered) else None


def pick_choices(reply: str, offered: Sequence[str]) -> list[str] | None:
    """Several numbers in one reply ("1 3", "1,3", "2;4"): their data in the order typed, each once.

    None when any piece is not an offered number, so a half-understood reply is never half applied.
    """
    pieces = [piece for piece in _SEPARATORS.split(normalize_reply(reply)) if piece]
    if not pieces:
        return None
    picked: list[str] = []
    for piece in pieces:
        data = pick_choice(piece, offered)
        if data is None:
            return None
        if data not in picked:
            picked.append(data)
    return picked
