"""The optional "Latin SMS" mode: an official romanization whose output is always pure GSM-7.

A Georgian, Armenian or Russian SMS is UCS-2 (70 characters a segment); the same text romanized is
GSM-7 (160), so it costs two to three times less. Each script follows a published system, with
ASCII ' wherever the system prints ’ or ʼ (GSM-7 has no typographic apostrophe):

* Georgian: the national system of 2002 (State Department of Geodesy and Cartography and the Institute
  of Linguistics; BGN/PCGN since 2009). Ejectives take an apostrophe: k' p' t' ts' ch' q'.
* Armenian: BGN/PCGN 1981 (Eastern Armenian), with its context rules for ե, ո, ու and և.
* Russian (and any Cyrillic outside an Azerbaijani text): ICAO Doc 9303, the scheme of passports.
* Azerbaijani: today's Latin alphabet minus what GSM-7 lacks: ə→e, ı→i, ş→s, ç→c, ğ→g, İ→I; ö, ü,
  Ö, Ü and Ç are GSM-7 and are kept. Azerbaijani Cyrillic maps to those Latin letters first.

Whatever else is outside GSM-7 becomes its nearest ASCII (typographic quotes, dashes, accents) or is
removed (emoji), so the output can never fall back to UCS-2.
"""

from __future__ import annotations

import unicodedata

from channels.i18n import LANGUAGES
from channels.sms.segments import count_segments, is_gsm7

GEORGIAN_2002: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "k'", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p'", "ჟ": "zh", "რ": "r", "ს": "s",
    "ტ": "t'", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q'", "შ": "sh", "ჩ": "ch", "ც": "ts",
    "ძ": "dz", "წ": "ts'", "ჭ": "ch'", "ხ": "kh", "ჯ": "j", "ჰ": "h",
    # archaic letters the 2002 system does not cover: nearest sound
    "ჱ": "e", "ჲ": "y", "ჳ": "w", "ჴ": "q", "ჵ": "o", "ჶ": "f", "ჷ": "e", "ჸ": "'", "ჼ": "n",
}  # fmt: skip

# ե, ո, ու and և depend on their position and are handled in `_armenian`.
ARMENIAN_BGN_PCGN_1981: dict[str, str] = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "զ": "z", "է": "e", "ը": "y", "թ": "t'", "ժ": "zh",
    "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h", "ձ": "dz", "ղ": "gh", "ճ": "ch",
    "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "չ": "ch'", "պ": "p", "ջ": "j", "ռ": "rr", "ս": "s",
    "վ": "v", "տ": "t", "ր": "r", "ց": "ts'", "ւ": "v", "փ": "p'", "ք": "k'", "օ": "o", "ֆ": "f",
}  # fmt: skip
_ARMENIAN_VOWELS = frozenset("աեէըիոօ")

RUSSIAN_ICAO_9303: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "ie", "ў": "u", "ґ": "g",
}  # fmt: skip

# Azerbaijani Cyrillic (1958 alphabet) to today's Latin letters, already reduced to GSM-7.
AZERBAIJANI_CYRILLIC: dict[str, str] = {
    **RUSSIAN_ICAO_9303,
    "ә": "e", "ғ": "g", "ҝ": "g", "һ": "h", "ө": "ö", "ү": "ü", "ҹ": "c", "ј": "y", "ж": "j",
    "х": "x", "ч": "c", "ш": "s", "ы": "i", "й": "y", "ё": "yo", "ю": "yu", "я": "ya",
}  # fmt: skip

# Latin letters with no decomposition to strip: the Azerbaijani ones first.
_LATIN: dict[str, str] = {
    "ə": "e", "Ə": "E", "ǝ": "e", "Ǝ": "E", "ı": "i", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "ħ": "h", "Ħ": "H", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d",
}  # fmt: skip

_SYMBOLS: dict[str, str] = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "ʻ": "'", "`": "'", "´": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "֊": "-",
    "\t": " ", "\u2028": "\n", "\u2029": "\n", "•": "*", "·": ".", "×": "x", "÷": "/",
    "₾": "GEL", "₼": "AZN", "֏": "AMD", "₽": "RUB", "¢": "c",
    # Armenian punctuation; ՞ ՜ ՛ are moved or dropped in `_armenian_marks`
    "։": ".", "՝": ",", "՚": "'", "՟": ".", "჻": ".",
}  # fmt: skip

_QUESTION, _EXCLAMATION, _EMPHASIS = "\u055e", "\u055c", "\u055b"
_CLOSERS = frozenset("\"')]»”’")


def to_latin(text: str, lang: str) -> str:
    """Romanize `text` of language `lang` into pure GSM-7 text (GSM-7 input comes back unchanged).

    `lang` picks the Cyrillic system (Azerbaijani Cyrillic for "az", ICAO for the rest); Georgian and
    Armenian letters follow their own system in any language, since names cross languages.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    if is_gsm7(text):
        return text
    cyrillic = AZERBAIJANI_CYRILLIC if lang == "az" else RUSSIAN_ICAO_9303
    text = _armenian_marks(unicodedata.normalize("NFC", text))
    out: list[str] = []
    removed = False
    for i in range(len(text)):
        latin = _letter(text, i, cyrillic)
        if latin is None:
            removed = True
            continue
        if latin == " " and removed and (not out or out[-1].endswith((" ", "\n"))):
            continue  # a removed emoji must not leave a double space behind
        out.append(latin)
        removed = False
    result = "".join(out)
    return result.rstrip(" ") if removed else result


def saving(text: str, lang: str) -> tuple[int, int]:
    """Segments of `text` as written and as romanized, to show what Latin mode would save."""
    return count_segments(text).segments, count_segments(to_latin(text, lang)).segments


def _letter(text: str, i: int, cyrillic: dict[str, str]) -> str | None:
    """The romanization of `text[i]`; "" for a letter written silently, None for removed noise."""
    ch = text[i]
    if is_gsm7(ch):
        return ch
    lower = ch.lower()
    if lower in GEORGIAN_2002:  # Mtavruli capitals are only used for all caps: so is their Latin
        return GEORGIAN_2002[lower].upper() if ch != lower else GEORGIAN_2002[lower]
    if lower in ARMENIAN_BGN_PCGN_1981 or lower in "եոև":
        return _cased(_armenian(text, i), text, i)
    if lower in cyrillic:
        return _cased(cyrillic[lower], text, i)
    return _fallback(ch)


def _armenian(text: str, i: int) -> str:
    """BGN/PCGN context rules: ye/e, vo/o (ով is ov), ու is u, և is yev/ev."""
    ch, prev, nxt = text[i].lower(), text[i - 1].lower() if i else "", text[i + 1 : i + 2].lower()
    initial = not prev.isalpha()
    after_vowel = prev in _ARMENIAN_VOWELS or (prev == "ւ" and text[i - 2 : i - 1].lower() == "ո")
    if ch == "ւ" and prev == "ո":
        return ""  # second half of ու, already written as u
    if ch == "ո":
        if nxt == "ւ":
            return "u"
        word_is_ov = nxt == "վ" and not text[i + 2 : i + 3].isalpha()
        return "vo" if initial and not word_is_ov else "o"
    if ch == "ե":
        return "ye" if initial or after_vowel else "e"
    if ch == "և":
        return "yev" if initial or after_vowel else "ev"
    return ARMENIAN_BGN_PCGN_1981[ch]


def _cased(latin: str, text: str, i: int) -> str:
    """Lowercase source, lowercase output; a capital gives "Sh", or "SH" inside an all-caps word."""
    ch = text[i]
    if not ch.isupper() or not latin:
        return latin
    nxt, prev = text[i + 1 : i + 2], text[i - 1 : i] if i else ""
    if nxt.isupper() or (not nxt.isalpha() and prev.isupper()):
        return latin.upper()
    return latin[:1].upper() + latin[1:]


def _fallback(ch: str) -> str | None:
    """Nearest GSM-7 for anything the script tables do not cover; None when there is none."""
    if ch in _LATIN:
        return _LATIN[ch]
    if ch in _SYMBOLS:
        return _SYMBOLS[ch]
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    if ch.isspace():
        return " "
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    stripped = "".join(_LATIN.get(c, _SYMBOLS.get(c, c)) for c in stripped)
    return stripped if stripped and is_gsm7(stripped) else None


def _armenian_marks(text: str) -> str:
    """Move ՞ and ՜ from the stressed vowel to the end of the sentence as ? and !; drop ՛.

    The sentence ends at ։ (or a . ! ? followed by a space or the end) or at a line break; a full
    stop ending a question becomes the question mark, and a sentence left open gets the mark at its end.
    """
    out: list[str] = []
    pending = ""
    for i, ch in enumerate(text):
        if ch == _QUESTION:
            pending = "?"
            continue
        if ch == _EXCLAMATION:
            pending = pending or "!"
            continue
        if ch == _EMPHASIS:
            continue
        if pending and _ends_sentence(text, i):
            if ch in "։.":
                out.append(pending)  # the question's full stop becomes its question mark
            elif ch in "!?":
                out.append(ch)  # already marked by the writer
            else:
                out.append(pending + ch)  # a line break closes the sentence
            pending = ""
            continue
        out.append(ch)
    if pending:
        body = "".join(out)
        trimmed = body.rstrip()
        return trimmed + pending + body[len(trimmed) :]
    return "".join(out)


def _ends_sentence(text: str, i: int) -> bool:
    ch = text[i]
    if ch in "։\n":
        return True
    nxt = text[i + 1 : i + 2]
    return ch in ".!?" and (not nxt or nxt.isspace() or nxt in _CLOSERS)
