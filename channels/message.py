"""Channel-neutral outgoing messages.

Domain services say *what* to tell a person; a channel (Telegram, SMS) decides *how* it looks. Text is
kept as a catalog key plus parameters (`Text`) or as coordinator-written per-language content (`Content`)
until the channel renders it in the recipient's language, so one message can go out in five languages
and over two channels without the domain knowing either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias


def N_(msgid: str) -> str:
    """Mark a catalog key for extraction without translating it (rendering happens in the channel)."""
    return msgid


@dataclass(frozen=True)
class Text:
    """A catalog message: `msgid` (English source), optional plural form chosen by `n`, and parameters.

    Parameters are substituted with `str.format` after translation; `datetime`/`date` values are
    formatted by Babel in the reader's language and the Asia/Tbilisi time zone.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None

    @classmethod
    def of(cls, msgid: str, **params: Any) -> Text:
        return cls(msgid, params)

    @classmethod
    def plural_of(cls, singular: str, plural: str, n: int, **params: Any) -> Text:
        return cls(singular, {"n": n, **params}, plural=plural, n=n)


@dataclass(frozen=True)
class Content:
    """Per-language text written by people (campaign messages, survey questions, notices).

    `fallback` is the declared language used when the reader's language has no text; `None` means
    "no fallback" and rendering in a missing language is an error the caller must prevent.
    """

    translations: Mapping[str, str]
    fallback: str | None = None

    def in_language(self, lang: str) -> str:
        if text := self.translations.get(lang):
            return text
        if self.fallback and (text := self.translations.get(self.fallback)):
            return text
        raise KeyError(f"no text in {lang!r} and no usable fallback")


@dataclass(frozen=True)
class Literal:
    """Text that must be shown exactly as given in every language (a name, a number, a person's words)."""

    text: str


@dataclass(frozen=True)
class Joined:
    """Several renderables joined by a separator, each rendered in the reader's language."""

    parts: Sequence[Text | Content | Literal | Joined]
    sep: str = ", "


Renderable: TypeAlias = Text | Content | Literal | Joined


@dataclass(frozen=True)
class Choice:
    """One answer a person can pick.

    `data` is compact ASCII (ids, never text) that comes back when the choice is picked: Telegram puts
    it in `callback_data` (at most 64 bytes), SMS maps it to the number the person types.
    `label` is rendered like any other text; `selected` shows a check mark (multiple choice).
    """

    data: str
    label: Renderable
    selected: bool = False

    def __post_init__(self) -> None:
        encoded = self.data.encode("utf-8")
        if not 1 <= len(encoded) <= 64 or not self.data.isascii():
            raise ValueError(f"choice data must be 1-64 ASCII bytes, got {self.data!r}")


@dataclass(frozen=True)
class LinkButton:
    """A button that opens a URL (Telegram) or a link printed after the text (SMS)."""

    label: Renderable
    url: str


class Urgency(StrEnum):
    """Whether quiet hours may defer the message."""

    NORMAL = "normal"
    URGENT = "urgent"


@dataclass(frozen=True)
class Outgoing:
    """What to say next: text parts joined by blank lines, optional choices, optional progress ("2/5").

    `columns` is a layout hint for Telegram keyboards; SMS always numbers choices one per line.
    `edit` asks Telegram to replace the message the person tapped on instead of sending a new one.
    """

    parts: Sequence[Renderable]
    choices: Sequence[Choice] = ()
    links: Sequence[LinkButton] = ()
    progress: tuple[int, int] | None = None
    columns: int = 1
    edit: bool = False
    urgency: Urgency = Urgency.NORMAL

    @classmethod
    def say(cls, msgid: str, **params: Any) -> Outgoing:
        return cls(parts=(Text(msgid, params),))


Reply: TypeAlias = Sequence[Outgoing]
