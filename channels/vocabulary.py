"""The words people type instead of a number or a button, in one table for every reader.

Consent, surveys and the SMS keywords all ask "is this yes?", "is this stop?"; they read this one table,
so a spelling accepted in one place is accepted everywhere (before, "diax", "kii" and "vochk'" were yes
and no for consent but refused as survey answers). Each row is one word in one language: the native
script first, then the Latin spellings people type on old phones and the Cyrillic ones of Azerbaijani
speakers who learnt to write before 1991, so a translator can review a row at a glance. Every spelling
is compared on `latin_key`, so capitals, Mtavruli, Armenian prosody marks and missing marks (bäli, beli)
match as well. Spellings marked (unverified) are chat forms nobody has checked against a source.

Two words claiming one key is an error of this table, refused at import (`word_index`). A new keyword
(such as PLAN) is one more `Word` and one more row per language here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from channels.textnorm import latin_key


class Word(StrEnum):
    YES = "yes"
    NO = "no"
    SKIP = "skip"
    STOP = "stop"
    START = "start"
    HELP = "help"
    LANGUAGE = "language"
    DATA = "data"
    DELETE = "delete"
    WITHDRAW = "withdraw"
    PLAN = "plan"


WORDS: Mapping[Word, Mapping[str, tuple[str, ...]]] = {
    Word.YES: {
        "en": ("yes", "y"),
        "ka": ("კი", "ki", "kii", "დიახ", "diakh", "diax"),  # diax: x for ხ (unverified)
        "az": ("bəli", "beli", "бәли", "hə", "he", "һә", "ha"),
        "hy": ("այո", "ayo", "հա", "ha"),
        "ru": ("да", "da"),
    },
    Word.NO: {
        "en": ("no", "n"),
        "ka": ("არა", "ara"),
        "az": ("xeyr", "хејр", "yox", "јох"),
        "hy": ("ոչ", "voch'", "vochk'", "չէ", "che"),
        "ru": ("нет", "net"),
    },
    Word.SKIP: {  # GLOSSARY term 44; the first word of each row is the one surveys tell people to send
        "en": ("skip",),
        "ka": ("გამოტოვება", "gamotoveba"),
        "az": ("ötür", "otur", "өтүр"),
        "hy": ("բաց թողնել", "bats' toghnel", "bats toxnel"),
        "ru": ("пропустить", "propustit"),
    },
    Word.STOP: {
        "en": ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "OPTOUT", "REVOKE"),
        "ka": ("სტოპ", "stop", "გააჩერეთ", "gaacheret", "შეწყვეტა", "shets'q'veta"),
        "az": ("stop", "dayan", "dayandır", "dayandir", "дајан", "дајандыр"),
        "hy": ("ստոպ", "stop", "դադարեցնել", "dadarets'nel"),
        "ru": ("стоп", "stop", "стоп все", "stop vse", "отписаться", "otpisatsya"),
    },
    Word.START: {
        "en": ("START", "JOIN", "UNSTOP"),
        "ka": ("დაწყება", "dats'q'eba"),
        "az": ("başla", "basla", "bashla", "башла"),
        "hy": ("սկսել", "sksel"),
        "ru": ("старт", "start", "начать", "nachat"),
    },
    Word.HELP: {
        "en": ("HELP", "INFO"),
        "ka": ("დახმარება", "dakhmareba", "daxmareba", "ინფო"),  # daxmareba: chat form (unverified)
        "az": ("kömək", "komek", "көмәк", "info"),
        "hy": ("օգնություն", "ognut'yun", "ինֆո"),
        "ru": ("помощь", "pomoshch", "pomosh", "инфо"),
    },
    Word.LANGUAGE: {
        "en": ("LANG", "LANGUAGE"),
        "ka": ("ენა", "ena"),
        "az": ("DİL", "dil", "дил"),
        "hy": ("ԼԵԶՈՒ", "lezu"),
        "ru": ("ЯЗЫК", "yazyk"),
    },
    Word.DATA: {  # see what is stored (the SMS /mydata)
        "en": ("DATA", "MYDATA", "MY DATA"),
        "ka": ("მონაცემები", "monatsemebi", "ჩემი მონაცემები", "chemi monatsemebi"),
        "az": ("məlumatlarım", "melumatlarim", "мәлуматларым"),
        "hy": ("տվյալներ", "tvyalner", "իմ տվյալները", "im tvyalnery"),
        "ru": ("данные", "dannye", "мои данные", "moi dannye"),
    },
    Word.DELETE: {  # erase everything (asks to confirm first)
        "en": ("DELETE", "ERASE"),
        "ka": ("წაშლა", "ts'ashla", "tsashla"),
        "az": ("sil", "сил"),
        "hy": ("ջնջել", "jnjel"),
        "ru": ("удалить", "udalit"),
    },
    Word.WITHDRAW: {  # withdraw consent to the sensitive (special-category) questions
        "en": ("WITHDRAW",),
        "ka": ("გამოხმობა", "gamokhmoba"),  # (unverified as a keyword)
        "az": ("geri çək", "geri cek", "гери чәк"),  # (unverified as a keyword)
        "hy": ("հետ կանչել", "het kanchel"),  # (unverified as a keyword)
        "ru": ("отозвать", "otozvat"),
    },
    Word.PLAN: {  # the municipality's action plan and its progress (the SMS /actionplan)
        "en": ("PLAN", "ACTION PLAN", "ACTIONPLAN"),
        "ka": ("გეგმა", "gegma", "სამოქმედო გეგმა", "samokmedo gegma"),
        "az": ("plan", "fəaliyyət planı", "fealiyyet plani", "план"),
        "hy": ("ծրագիր", "tsragir", "ts'ragir", "գործողությունների ծրագիր"),
        "ru": ("план", "plan", "план действий", "plan deystviy"),
    },
}


def spellings(word: Word) -> tuple[str, ...]:
    """Every spelling of one word, all languages."""
    return tuple(spelling for row in WORDS[word].values() for spelling in row)


def first_spelling(word: Word, lang: str) -> str:
    """The word to tell a person to send, in their language (English when the row has none)."""
    row = WORDS[word].get(lang) or WORDS[word]["en"]
    return row[0]


def word_index(words: Iterable[Word]) -> dict[str, Word]:
    """Key every spelling of `words`; two of them claiming one key is a table error, refused."""
    index: dict[str, Word] = {}
    for word in words:
        for spelling in spellings(word):
            key = latin_key(spelling)
            if index.setdefault(key, word) is not word:
                raise ValueError(f"{spelling!r} is both {index[key]} and {word} (key {key!r})")
    return index


_ALL = word_index(Word)


def word_of(text: str, among: Iterable[Word] | None = None) -> Word | None:
    """The word the WHOLE text is ("Da!", "ᲐᲠᲐ", "vochk'"), or None; `among` limits what counts."""
    word = _ALL.get(latin_key(text))
    if word is None or among is None:
        return word
    return word if word in set(among) else None


def is_word(text: str, word: Word) -> bool:
    return word_of(text) is word
