"""Interface languages: catalogs, negotiation and rendering of channel-neutral text.

Catalogs live in `bot/locales/<lang>/LC_MESSAGES/messages.po` (package data). The install compiles them
to `.mo`; when a `.mo` is missing or older than its `.po` (a source checkout, a fresh edit) the `.po` is
compiled in memory, so the service never shows raw keys because a build step was skipped.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from channels.message import Content, Joined, Literal, Renderable, Text

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("ka", "az", "hy", "ru", "en")
DEFAULT_LANGUAGE = "ka"
TIMEZONE = ZoneInfo("Asia/Tbilisi")
DOMAIN = "messages"

# Each language named in its own script, whatever the reader's language (GLOSSARY.md).
LANGUAGE_SELF_NAMES: Mapping[str, str] = {
    "ka": "ქართული",
    "az": "Azərbaycanca",
    "hy": "Հայերեն",
    "ru": "Русский",
    "en": "English",
}


def locales_dir() -> Path:
    return Path(str(resources.files("bot") / "locales"))


def normalize_language(code: str | None) -> str | None:
    """Map a client's language tag (`az`, `hy-AM`, `ru_RU`) to one of ours, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


def negotiate(client_language: str | None, municipality_default: str | None = None) -> str:
    """Telegram's `language_code` when it is one of ours, else the municipality's default, else ka."""
    return normalize_language(client_language) or normalize_language(municipality_default) or DEFAULT_LANGUAGE


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Load (and cache) one language's catalog; English falls back to the msgids themselves."""
    base = locales_dir() / lang / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang, domain=DOMAIN)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    log.warning("no catalog for %s in %s; showing source text", lang, base)
    return gettext.NullTranslations()


def format_param(value: Any, lang: str) -> str:
    """Dates and times in the reader's language and Tbilisi time; numbers with local separators."""
    locale = Locale.parse(lang)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return format_datetime(moment.astimezone(TIMEZONE), "d MMMM y, HH:mm", locale=locale)
    if isinstance(value, date):
        return format_date(value, "d MMMM y", locale=locale)
    if isinstance(value, float):
        return format_decimal(value, locale=locale)
    if isinstance(value, Text | Content | Literal | Joined):
        return render(value, lang)
    return str(value)


def gettext_for(lang: str, msgid: str, plural: str | None = None, n: int | None = None) -> str:
    tr = translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    if plural is not None and n is not None:
        return tr.ngettext(msgid, plural, n)
    return tr.gettext(msgid)


def render(text: Renderable, lang: str) -> str:
    """Turn channel-neutral text into plain (unescaped) text in `lang`."""
    if isinstance(text, Literal):
        return text.text
    if isinstance(text, Content):
        return text.in_language(lang)
    if isinstance(text, Joined):
        return text.sep.join(render(part, lang) for part in text.parts)
    template = gettext_for(lang, text.msgid, text.plural, text.n)
    if not text.params:
        return template
    params = {key: format_param(value, lang) for key, value in text.params.items()}
    return template.format(**params)


def t(lang: str, msgid: str, **params: Any) -> str:
    """Shorthand for handlers and CLI output: translate and fill in one catalog message."""
    return render(Text(msgid, params), lang)
