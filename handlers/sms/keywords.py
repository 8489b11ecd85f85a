"""Inbound SMS keywords: the words of `channels.vocabulary` that are a whole message by themselves.

A keyword is the WHOLE message, compared on `latin_key`, so "STOP!", "ᲡᲢᲝᲞ", "Ո՛չ" and "БӘЛИ" match
while "stop the road works" does not. The spellings live in `channels.vocabulary` (one table for
consent, surveys and SMS); this module only says which of its words act as SMS keywords.

Twilio already acts on its default English opt-out words (STOP, STOPALL, UNSUBSCRIBE, END, QUIT,
CANCEL, REVOKE, OPTOUT), opt-in words (START, UNSTOP, and YES) and HELP/INFO before our webhook sees
them; the localized words are ours to honour (GLOSSARY, SMS rule 4). Digits ("1 = yes") are not
keywords: their meaning belongs to the question being asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from channels.textnorm import latin_key
from channels.vocabulary import WORDS, Word, word_index


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    LANGUAGE = "language"
    YES = "yes"
    NO = "no"
    DATA = "data"
    DELETE = "delete"
    WITHDRAW = "withdraw"
    PLAN = "plan"


KEYWORD_WORDS: Mapping[Keyword, Mapping[str, tuple[str, ...]]] = {
    keyword: WORDS[Word(keyword.value)] for keyword in Keyword
}
STOP_WORDS = KEYWORD_WORDS[Keyword.STOP]


def _index(tables: Mapping[Keyword, Mapping[str, tuple[str, ...]]]) -> dict[str, Keyword]:
    """Key every spelling; two keywords claiming one key is a table error, refused at import."""
    index: dict[str, Keyword] = {}
    for keyword, by_language in tables.items():
        for words in by_language.values():
            for word in words:
                key = latin_key(word)
                if index.setdefault(key, keyword) is not keyword:
                    raise ValueError(f"{word!r} is both {index[key]} and {keyword} (key {key!r})")
    return index


_INDEX = _index(KEYWORD_WORDS)
word_index(Word(keyword.value) for keyword in Keyword)  # the shared table agrees


def match_keyword(text: str) -> Keyword | None:
    """The keyword the whole message is, or None (a sentence that merely contains one is not it)."""
    return _INDEX.get(latin_key(text))
