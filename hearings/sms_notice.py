"""Which notice a reader gets, by channel and language: the one the SMS sender renders decides.

Telegram readers get the full notice. By SMS the full notice goes only when the SMS sender's own
rendering (`render_sms`, as the worker sends it) fits `MAX_SEGMENTS` segments in the reader's language;
otherwise a short notice (title, time, place, the numbered answers) with a link to the full notice on the
public page. A short notice that still does not fit (a very long title or place) is refused: the officer
has to shorten the text, nothing is cut silently.
"""

from __future__ import annotations

from channels.message import N_, LinkButton, Outgoing, Text
from channels.sms.render import render_sms
from channels.sms.segments import count_segments
from hearings import calendar, notices
from storage.models import Channel
from storage.models.hearings import Hearing

MAX_SEGMENTS = 3
FULL_NOTICE_LABEL = N_("Full notice")


def page_url(base_url: str | None, code: str, hearing_id: int) -> str | None:
    """The hearing on its municipality's public page."""
    return f"{base_url.rstrip('/')}/m/{code}#hearing-{hearing_id}" if base_url else None


def short_notice(hearing: Hearing, full_notice_url: str | None) -> Outgoing:
    """Title, time and place on two lines, the numbered answers, and where the rest is: about 185
    characters in Georgian with a short title, within three UCS-2 segments (201 characters)."""
    links = (LinkButton(Text(FULL_NOTICE_LABEL), full_notice_url),) if full_notice_url else ()
    return Outgoing(
        parts=(
            Text.of("Public hearing: {title}", title=notices.title(hearing)),
            Text.of(
                "{start}–{end}, {place}",
                start=hearing.starts_at,
                end=notices.local_time(notices.ends_at(hearing)),
                place=notices.content(hearing.place, hearing.fallback_language),
            ),
        ),
        choices=notices.choices(hearing.id)[:3],
        links=links,
    )


def segments(message: Outgoing, lang: str) -> int:
    return count_segments(render_sms(message, lang)).segments


def chosen(
    hearing: Hearing, channel: Channel, lang: str, code: str, base_url: str | None
) -> tuple[Outgoing, bool]:
    """The notice a reader of `lang` on `channel` is sent, and whether it is the short one."""
    full = notices.notice(hearing, calendar.file_url(base_url, code, hearing.id))
    if channel != Channel.SMS or segments(full, lang) <= MAX_SEGMENTS:
        return full, False
    return short_notice(hearing, page_url(base_url, code, hearing.id)), True


def notice_for(hearing: Hearing, channel: Channel, lang: str, code: str, base_url: str | None) -> Outgoing:
    """The notice a reader of `lang` on `channel` is sent (see the module's docstring)."""
    return chosen(hearing, channel, lang, code, base_url)[0]


def too_long_for_sms(hearing: Hearing, lang: str, code: str, base_url: str | None) -> bool:
    """Even the short notice is over the limit in `lang`: the officer must shorten the title or place."""
    return segments(notice_for(hearing, Channel.SMS, lang, code, base_url), lang) > MAX_SEGMENTS
