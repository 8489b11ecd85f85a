"""Jinja2 rendering in the reader's language, with the same gettext catalogs as the bot.

Templates mark strings with `_()` / `ngettext()` and fill `{name}` placeholders with `.format()`, the
same placeholder style as the rest of the catalogs (the catalog test checks them). One environment per
language, built lazily, so concurrent requests in different languages never share a translation.
The language comes from `?lang=` (then remembered in a cookie), else the cookie, else Accept-Language,
else Georgian.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from channels.i18n import DEFAULT_LANGUAGE, LANGUAGE_SELF_NAMES, LANGUAGES, normalize_language, translations

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LANGUAGE_COOKIE = "lang"
TIMEZONE = ZoneInfo("Asia/Tbilisi")
UTC = ZoneInfo("UTC")


def request_language(request: Request) -> str:
    """`?lang=`, else the `lang` cookie, else the best Accept-Language match, else Georgian."""
    chosen = normalize_language(request.query_params.get("lang")) or normalize_language(
        request.cookies.get(LANGUAGE_COOKIE)
    )
    return chosen or accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


def accept_language(header: str) -> str | None:
    """The first of our languages in an Accept-Language header, by quality (`az;q=0.9, en;q=0.5`)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = normalize_language(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment in Tbilisi time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(TIMEZONE)


def _filters(lang: str) -> dict[str, Any]:
    locale = Locale.parse(lang)

    def datetime_filter(value: datetime | None, pattern: str = "d MMMM y, HH:mm") -> str:
        return "" if value is None else format_datetime(local(value), pattern, locale=locale)

    def date_filter(value: date | datetime | None, pattern: str = "d MMMM y") -> str:
        if value is None:
            return ""
        day = local(value).date() if isinstance(value, datetime) else value
        return format_date(day, pattern, locale=locale)

    def time_filter(value: datetime | None, pattern: str = "HH:mm") -> str:
        return "" if value is None else format_time(local(value), pattern, locale=locale)

    def number_filter(value: float | int | None) -> str:
        return "" if value is None else format_decimal(value, locale=locale)

    return {"datetime": datetime_filter, "date": date_filter, "time": time_filter, "number": number_filter}


@cache
def environment(lang: str) -> Environment:
    """The template environment for one language: autoescaped, gettext from that language's catalog."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=False)  # type: ignore[attr-defined]
    env.filters.update(_filters(lang))
    env.globals.update(languages=LANGUAGE_SELF_NAMES, all_languages=LANGUAGES)
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` for this request's reader; remember an explicit `?lang=` in a cookie."""
    lang = request_language(request)
    html = (
        environment(lang)
        .get_template(template)
        .render(request=request, lang=lang, current_path=request.url.path, **context)
    )
    response = HTMLResponse(html, status_code=status_code)
    chosen = normalize_language(request.query_params.get("lang"))
    if chosen and chosen != request.cookies.get(LANGUAGE_COOKIE):
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
