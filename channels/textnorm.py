"""Normalization of what people type into an SMS, shared by every SMS parser.

Replies arrive from basic phones in five languages and three scripts, typed with whatever the keypad
offers: capitals, Azerbaijani letters without their marks, Arabic-Indic digits from a borrowed phone,
Mtavruli capitals from a Georgian keyboard in caps mode, Armenian emphasis marks on a vowel. Parsers
compare what people typed with what we expect, so both sides go through the same two functions:

* `normalize_reply` keeps the script but removes everything that carries no meaning for matching;
* `latin_key` also maps Georgian, Armenian and Cyrillic letters to a plain-ASCII phonetic key, so that
  "კი" and "ki", "այո" and "ayo", "bəli", "beli" and "бәли" meet on one key.

The key is deliberately *not* a romanization standard (the official systems live in `transliterate`):
it drops the ejective/aspiration apostrophes people never type, and it spells Cyrillic the way people
type it on a Latin keypad ("yazyk", not ICAO "iazyk").
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Latin letters that carry no decomposable mark but still need folding for matching. ä is here on
# purpose: it was the stand-in for ə on code pages and keypads without ə (GSM-7 has ä, not ə), and no
# language we serve uses ä otherwise. ǝ (turned e) is a common look-alike typed for ə.
_LATIN_FOLDS: dict[str, str] = {
    "ə": "e",
    "ǝ": "e",
    "ä": "e",
    "ı": "i",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
}

# Armenian prosody marks sit on a vowel inside the word (Կգա՞ք, ո՛չ); they are not letters, so they go
# wherever they are. Armenian full stop, comma and « » are ordinary punctuation and only trimmed at edges.
_ARMENIAN_WORD_MARKS = frozenset("\u055b\u055c\u055e")

# Characters trimmed from both ends: punctuation, emoji and other symbols, modifier symbols (skin tones),
# variation selectors and the keycap mark, so "1️⃣", "STOP!!!" and "«Այո՞»" reduce to the answer.
# Math symbols (+ < > =) stay: people answer "+" for yes.
_EDGE_CATEGORIES = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "So", "Sk", "Me", "Cc"})
_VARIATION_SELECTORS = frozenset(chr(c) for c in range(0xFE00, 0xFE10))

# Apostrophe look-alikes: ejective marks (k'), aspiration marks (t’) and the Armenian apostrophe.
_APOSTROPHES = frozenset("'`´‘’ʼʻʹ′\u055a")

_GEORGIAN_KEY: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "k", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p", "ჟ": "zh", "რ": "r", "ს": "s",
    "ტ": "t", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q", "შ": "sh", "ჩ": "ch", "ც": "ts",
    "ძ": "dz", "წ": "ts", "ჭ": "ch", "ხ": "kh", "ჯ": "j", "ჰ": "h",
    # archaic and minority-language letters, so old texts and Mingrelian/Svan names do not break
    "ჱ": "e", "ჲ": "y", "ჳ": "w", "ჴ": "q", "ჵ": "o", "ჶ": "f", "ჷ": "e", "ჸ": "", "ჹ": "g",
    "ჺ": "", "ჼ": "n",
}  # fmt: skip

# Eastern Armenian, BGN/PCGN 1981 without apostrophes; ռ is "r" (as typed), not BGN "rr".
# ե, ո and ու depend on context and are handled in `_armenian_key`.
_ARMENIAN_KEY: dict[str, str] = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "զ": "z", "է": "e", "ը": "y", "թ": "t", "ժ": "zh",
    "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h", "ձ": "dz", "ղ": "gh", "ճ": "ch",
    "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s",
    "վ": "v", "տ": "t", "ր": "r", "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f",
}  # fmt: skip
_ARMENIAN_VOWELS = frozenset("աեէըիոօ") | {"ու"}

# Russian Cyrillic as typed on a Latin keypad (close to BGN/PCGN, without its marks).
_RUSSIAN_KEY: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "і": "i", "ї": "yi", "є": "ye", "ў": "u", "ґ": "g",
}  # fmt: skip

# Azerbaijani Cyrillic (1958 alphabet) mapped to today's Latin letters, then folded like Latin
# (ç->c, ş->s, ğ->g, ı->i, ə->e, ö->o, ü->u), so "бәли" and "bəli" meet on "beli".
_AZERBAIJANI_KEY: dict[str, str] = {
    **_RUSSIAN_KEY,
    "ә": "e", "ғ": "g", "ҝ": "g", "һ": "h", "ө": "o", "ү": "u", "ҹ": "c", "ј": "y",
    "ж": "j", "х": "x", "ч": "c", "ш": "s", "ы": "i", "ҙ": "z", "ҡ": "k",
}  # fmt: skip

# Letters only Azerbaijani Cyrillic has: a word containing one is keyed with the Azerbaijani table.
_AZERBAIJANI_MARKERS = frozenset("әғҝһөүҹј")


def normalize_reply(text: str) -> str:
    """Reduce a typed reply to what matters for matching, keeping its script.

    NFKC; every Unicode decimal digit becomes ASCII; lowercase with Azerbaijani/Turkish dotted and
    dotless i both folded to `i`; Latin letters lose their diacritics and ə ı ş ç ğ ö ü fold to
    e i s c g o u (Georgian, Armenian and Cyrillic letters are left intact); invisible format
    characters and Armenian emphasis marks go; whitespace collapses to single spaces; punctuation and
    symbols are trimmed from both ends. The result is stable: normalizing it again changes nothing.
    """
    previous = text
    for _ in range(4):  # NFKC and case folding interact on a handful of code points; settle them
        current = _normalize_once(previous)
        if current == previous:
            break
        previous = current
    return previous


def latin_key(text: str) -> str:
    """Reduce a reply to a plain-ASCII phonetic key on which native and Latin spellings meet.

    Applies `normalize_reply`, then maps Georgian, Armenian and Cyrillic (Russian and Azerbaijani)
    letters to ASCII, drops apostrophes (ejective and aspiration marks, typed inconsistently) and turns
    dashes into spaces ("stop-all" == "stop all"). Letters of other scripts pass through unchanged,
    so different texts in them do not collapse onto one key.
    """
    words = []
    for word in normalize_reply(text).split(" "):
        keyed = "".join(_key_char(ch) for ch in _armenian_key(_cyrillic_key(_georgian_key(word))))
        words.extend(keyed.split())
    return normalize_reply(" ".join(words))


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_fold_char(ch) for ch in text)
    text = text.replace("İ", "i").casefold()
    text = "".join(_LATIN_FOLDS.get(ch, ch) for ch in text)
    text = _strip_latin_marks(text)
    text = " ".join(text.split())
    return _trim_edges(text)


def _fold_char(ch: str) -> str:
    """Digits to ASCII; invisible format characters and Armenian word marks removed."""
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if ch in _ARMENIAN_WORD_MARKS or unicodedata.category(ch) == "Cf":
        return ""
    return ch


def _strip_latin_marks(text: str) -> str:
    """Drop combining marks on a Latin letter, and orphan marks (on a space, punctuation, nothing).

    Marks on letters of any other script are kept: they are part of the letter there (й, Devanagari).
    """
    out: list[str] = []
    drop_marks = True
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            if drop_marks:
                continue
        else:
            drop_marks = _is_latin_letter(ch) or not ch.isalnum()
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=4096)
def _is_latin_letter(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN ")


def _trim_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge_noise(ch: str) -> bool:
    return ch.isspace() or ch in _VARIATION_SELECTORS or unicodedata.category(ch) in _EDGE_CATEGORIES


def _georgian_key(word: str) -> str:
    return "".join(_GEORGIAN_KEY.get(ch, ch) for ch in word)


def _cyrillic_key(word: str) -> str:
    table = _AZERBAIJANI_KEY if any(ch in _AZERBAIJANI_MARKERS for ch in word) else _RUSSIAN_KEY
    return "".join(table.get(ch, ch) for ch in word)


def _armenian_key(word: str) -> str:
    """Armenian with the BGN/PCGN context rules people also follow when typing.

    ե is "ye" at the start of a word and after a vowel, else "e"; ո is "vo" at the start of a word
    (except the word ով, "ov"), else "o"; ու is "u".
    """
    if word == "ով":
        return "ov"
    out: list[str] = []
    previous = ""  # the previous Armenian letter (ու counts as one), "" at a word boundary
    i = 0
    while i < len(word):
        ch = word[i]
        if ch == "ո" and word[i + 1 : i + 2] == "ւ":
            letter, latin = "ու", "u"
            i += 2
        else:
            letter = ch
            if ch == "ե":
                latin = "ye" if previous == "" or previous in _ARMENIAN_VOWELS else "e"
            elif ch == "ո":
                latin = "vo" if previous == "" else "o"
            else:
                latin = _ARMENIAN_KEY.get(ch, ch)
            i += 1
        out.append(latin)
        previous = letter if letter.isalpha() else ""
    return "".join(out)


def _key_char(ch: str) -> str:
    if ch in _APOSTROPHES:
        return ""
    if unicodedata.category(ch) in {"Pd", "Pc"}:
        return " "
    return ch
