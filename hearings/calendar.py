"""Public hearings for the public pages: the upcoming ones of a municipality, and as iCalendar.

Times are stored in UTC and written as Asia/Tbilisi local times with the zone's VTIMEZONE (icalendar
adds it), so a calendar shows the hearing at the instant the officer meant on any device. The text of
an event is the hearing's own (title, place, accessibility) in the reader's language, falling back to
the language the officer declared; nothing about the people who answered is ever in a calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.i18n import TIMEZONE
from storage.base import utcnow
from storage.models import Municipality
from storage.models.hearings import Hearing, HearingStatus

PRODUCT_ID = "-//civicbot//public hearings//EN"
LISTED = 20


def in_language(texts: dict[str, str], lang: str, fallback: str) -> str:
    """The officer's text in `lang`, else in their declared fallback language, else any."""
    return texts.get(lang) or texts.get(fallback) or next(iter(texts.values()), "")


async def upcoming(
    session: AsyncSession, municipality: Municipality, *, now: datetime | None = None, limit: int = LISTED
) -> list[Hearing]:
    """Announced hearings of the municipality that have not ended, soonest first."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Hearing)
        .where(
            Hearing.municipality_id == municipality.id,
            Hearing.status == HearingStatus.ANNOUNCED,
            Hearing.starts_at > now - timedelta(hours=12),
        )
        .order_by(Hearing.starts_at, Hearing.id)
        .limit(limit * 2)
    )
    return [h for h in rows.all() if _ends(h) > now][:limit]


async def public_hearing(
    session: AsyncSession, municipality: Municipality, hearing_id: int
) -> Hearing | None:
    """A hearing of this municipality the public may see (announced or held, never a draft)."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or hearing.municipality_id != municipality.id:
        return None
    return hearing if hearing.status in (HearingStatus.ANNOUNCED, HearingStatus.HELD) else None


def file_url(base_url: str | None, code: str, hearing_id: int) -> str | None:
    """The public address of one hearing's .ics (`/m/<code>/hearings/<id>.ics`), when there is one."""
    return f"{base_url.rstrip('/')}/m/{code}/hearings/{hearing_id}.ics" if base_url else None


def file_name(hearing: Hearing) -> str:
    return f"hearing-{hearing.id}.ics"


def _ends(hearing: Hearing) -> datetime:
    return hearing.starts_at + timedelta(minutes=hearing.duration_minutes)


def _event(hearing: Hearing, municipality: Municipality, lang: str, base_url: str) -> Event:
    fallback = hearing.fallback_language
    event = Event()
    event.add("uid", f"hearing-{hearing.id}@{municipality.code}.civicbot")
    event.add(
        "dtstamp",
        hearing.updated_at.astimezone(TIMEZONE) if hearing.updated_at.tzinfo else hearing.updated_at,
    )
    event.add("dtstart", hearing.starts_at.astimezone(TIMEZONE))
    event.add("dtend", _ends(hearing).astimezone(TIMEZONE))
    event.add("summary", in_language(hearing.title, lang, fallback))
    event.add("location", in_language(hearing.place, lang, fallback))
    description = [in_language(hearing.description, lang, fallback)] if hearing.description else []
    if hearing.accessibility:
        description.append(in_language(hearing.accessibility, lang, fallback))
    if description:
        event.add("description", "\n\n".join(description))
    if base_url:  # without a public address (a test, a closed pilot) the event simply has no link
        event.add("url", f"{base_url.rstrip('/')}/m/{municipality.code}#hearing-{hearing.id}")
    event.add("status", "CONFIRMED")
    return event


def calendar(
    hearings: Iterable[Hearing], municipality: Municipality, lang: str, *, name: str, base_url: str
) -> bytes:
    """An iCalendar document (text/calendar) with one event per hearing."""
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(TIMEZONE))
    for hearing in hearings:
        cal.add_component(_event(hearing, municipality, lang, base_url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
