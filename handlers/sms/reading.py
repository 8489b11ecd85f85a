"""Reading a typed SMS beyond bare numbers: yes/no words, a language or a place typed by name, and the
script of a first message (to pick a language before the person has chosen one)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from babel import Locale

from channels.i18n import LANGUAGE_SELF_NAMES, negotiate
from channels.textnorm import latin_key
from handlers.sms.keywords import Keyword
from storage.models import Municipality

_YES_VALUES, _NO_VALUES = ("yes", "go"), ("no",)
_AZERBAIJANI_LETTERS = frozenset("əƏәӘғҒҝҜһҺөӨүҮҹҸјЈ")


def yes_no(keyword: Keyword | None, offered: Sequence[str]) -> str | None:
    """YES / NO words (კი, bəli, այո, да; არა, xeyr, ոչ, нет; in Latin letters too) for a yes/no choice
    (`cons:yes`, `hr:7:go`, `del:no`...); None when the word is no answer to what was offered."""
    values = _YES_VALUES if keyword is Keyword.YES else _NO_VALUES if keyword is Keyword.NO else ()
    return next((data for data in offered if data.rpartition(":")[2] in values), None)


def by_name(body: str, offered: Sequence[str], places: Iterable[Municipality]) -> str | None:
    """A language or a municipality typed by name in any script ("Azərbaycanca", "azeri", "Marneuli",
    "მარნეული") instead of its number; None when nothing offered has that name."""
    key = latin_key(body)
    if not key:
        return None
    names_of_place = {place.code: (place.code, *place.names.values()) for place in places}
    for data in offered:
        namespace, _, value = data.partition(":")
        if namespace == "lang":
            names: Iterable[str] = _language_names(value)
        elif namespace == "mun":
            names = names_of_place.get(value, (value,))
        else:
            continue
        if key in {latin_key(name) for name in names}:
            return data
    return None


@cache
def _language_names(code: str) -> tuple[str, ...]:
    english = Locale("en").languages.get(code, code)
    extra = ("azeri", "azerbaycan") if code == "az" else ()
    return (code, LANGUAGE_SELF_NAMES.get(code, code), english, *extra)


def guess_language(body: str) -> str:
    """The script of a first message, until the person picks a language from the menu."""
    for ch in body:
        code = ord(ch)
        if 0x10A0 <= code <= 0x10FF or 0x1C90 <= code <= 0x1CBF:
            return "ka"
        if 0x0530 <= code <= 0x058F:
            return "hy"
        if ch in _AZERBAIJANI_LETTERS:
            return "az"
    if any(0x0400 <= ord(ch) <= 0x04FF for ch in body):
        return "ru"
    return negotiate(None)
