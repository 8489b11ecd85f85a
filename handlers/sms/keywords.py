"""Inbound SMS keywords (stop, start, help, language, yes, no) in all five languages and scripts.

A keyword is the WHOLE message, compared on `latin_key`, so "STOP!", "ᲡᲢᲝᲞ", "Ո՛չ" and "БӘЛИ" match
while "stop the road works" does not. Each table below is one keyword, one row per language, native
script and the Latin spellings people type on old phones side by side, so a translator can review a
row at a glance. Spellings marked (unverified) are common chat forms nobody has checked against a source.

Twilio already acts on its default English opt-out words (STOP, STOPALL, UNSUBSCRIBE, END, QUIT,
CANCEL, REVOKE, OPTOUT), opt-in words (START, UNSTOP, and YES) and HELP/INFO before our webhook sees
them; the localized words are ours to honour (GLOSSARY, SMS rule 4). Digits ("1 = yes") are not
keywords: their meaning belongs to the question being asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from channels.sms.textnorm import latin_key


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    LANGUAGE = "language"
    YES = "yes"
    NO = "no"


STOP_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT", "REVOKE"),
    "ka": ("სტოპ", "stop", "გააჩერეთ", "gaacheret", "შეწყვეტა", "shets'q'veta"),
    "az": ("stop", "dayan", "dayandır", "dayandir", "дајан", "дајандыр"),
    "hy": ("ստոպ", "stop", "դադարեցնել", "dadarets'nel"),
    "ru": ("стоп", "stop", "стоп все", "stop vse", "отписаться", "otpisatsya"),
}

START_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("START", "JOIN", "UNSTOP"),
    "ka": ("დაწყება", "dats'q'eba"),
    "az": ("başla", "basla", "bashla", "башла"),
    "hy": ("սկսել", "sksel"),
    "ru": ("старт", "start", "начать", "nachat"),
}

HELP_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("HELP", "INFO"),
    "ka": ("დახმარება", "dakhmareba", "daxmareba"),  # daxmareba: x for ხ, chat spelling (unverified)
    "az": ("kömək", "komek", "көмәк"),
    "hy": ("օգնություն", "ognut'yun"),
    "ru": ("помощь", "pomoshch", "pomosh"),
}

LANGUAGE_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("LANG", "LANGUAGE"),
    "ka": ("ენა", "ena"),
    "az": ("DİL", "dil", "дил"),
    "hy": ("ԼԵԶՈՒ", "lezu"),
    "ru": ("ЯЗЫК", "yazyk"),
}

YES_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("yes", "y"),
    "ka": ("კი", "ki", "kii", "დიახ", "diakh", "diax"),  # diax: x for ხ (unverified)
    "az": ("bəli", "beli", "бәли", "hə", "he", "һә", "ha"),
    "hy": ("այո", "ayo", "հա", "ha"),
    "ru": ("да", "da"),
}

NO_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("no", "n"),
    "ka": ("არა", "ara"),
    "az": ("xeyr", "хејр", "yox", "јох"),
    "hy": ("ոչ", "voch'", "vochk'", "չէ", "che"),
    "ru": ("нет", "net"),
}

KEYWORD_WORDS: Mapping[Keyword, Mapping[str, tuple[str, ...]]] = {
    Keyword.STOP: STOP_WORDS,
    Keyword.START: START_WORDS,
    Keyword.HELP: HELP_WORDS,
    Keyword.LANGUAGE: LANGUAGE_WORDS,
    Keyword.YES: YES_WORDS,
    Keyword.NO: NO_WORDS,
}


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


def match_keyword(text: str) -> Keyword | None:
    """The keyword the whole message is, or None (a sentence that merely contains one is not it)."""
    return _INDEX.get(latin_key(text))
