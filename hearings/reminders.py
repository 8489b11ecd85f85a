"""Reminders before a hearing, and the background component that queues them every minute.

Each hearing has two reminder windows: from 24 hours before until 2 hours before ("rem24h"), and from
2 hours before until the start ("rem2h"). A run inside a window queues that window's reminder to everyone
who answered going or maybe *before the window opened* (someone who said yes an hour ago needs no reminder
now). Every run derives the same dedupe keys, so running every minute, late, twice or from several
processes queues each reminder once. Reminders wait out quiet hours, and are dropped when the wait would
end after the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaigns.quiet import quiet_hours_of, service_quiet_hours
from campaigns.schedule import QuietHours
from channels.i18n import TIMEZONE
from channels.outbox import OPEN_STATUSES
from contacts.registry import audit, municipalities
from hearings import notices, participants
from hearings.officers import deliver_at
from storage.base import utcnow
from storage.db import unit_of_work
from storage.models.deliveries import Delivery
from storage.models.hearings import Hearing, HearingRsvp, HearingStatus, Rsvp

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"
NOTICE_GAP = timedelta(minutes=2)  # at least this long between a person's notice and their reminder
RUN_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Offset:
    label: str  # in the dedupe key: h{id}:rem{label}@{start}:p{contact}:{channel}
    before: timedelta


# Longest first: the window of an offset ends where the next one's begins.
OFFSETS: Sequence[Offset] = (Offset("24h", timedelta(hours=24)), Offset("2h", timedelta(hours=2)))


def due_offset(starts_at: datetime, now: datetime) -> Offset | None:
    """The reminder whose window `now` is in, or None (too early, or the hearing has started)."""
    if now >= starts_at:
        return None
    due = None
    for offset in OFFSETS:
        if now >= starts_at - offset.before:
            due = offset
    return due


def notice_not_yet_seen(hearing_id: int, now: datetime) -> Select[int | None]:
    """People whose notice of this hearing is still queued (held by quiet hours, say) or went out less
    than `NOTICE_GAP` ago: their reminder waits for a later run, so the two never arrive together."""
    return select(Delivery.contact_id).where(
        Delivery.dedupe_key.startswith(f"h{hearing_id}:notice:", autoescape=True),
        Delivery.contact_id.is_not(None),
        or_(Delivery.status.in_(OPEN_STATUSES), Delivery.sent_at > now - NOTICE_GAP),
    )


def reminder_key(hearing_id: int, offset: Offset, starts_at: datetime) -> participants.KeyFor:
    """The start is in the key: after a reschedule the reminders of the new time are new messages, and
    every run (after a restart too) derives the same key for the same start, so none is sent twice."""
    start = f"{int(starts_at.timestamp())}"
    return lambda person: f"h{hearing_id}:rem{offset.label}@{start}:p{person.contact_id}:{person.channel}"


def when(send_at: datetime, starts_at: datetime) -> notices.When:
    """ "today"/"tomorrow" by Tbilisi calendar days between sending and the start."""
    days = (starts_at.astimezone(TIMEZONE).date() - send_at.astimezone(TIMEZONE).date()).days
    return {0: notices.When.TODAY, 1: notices.When.TOMORROW}.get(days, notices.When.LATER)


async def enqueue_due_reminders(
    session: AsyncSession, now: datetime | None = None, *, quiet: QuietHours | None = None
) -> int:
    """Queue the reminders that are due at `now`; returns how many messages were new."""
    now = now or utcnow()
    quiet = quiet or service_quiet_hours()  # read once for every hearing below
    longest = max(offset.before for offset in OFFSETS)
    hearings = (
        await session.scalars(
            select(Hearing)
            .where(
                Hearing.status == HearingStatus.ANNOUNCED,
                Hearing.starts_at > now,
                Hearing.starts_at <= now + longest,
            )
            .order_by(Hearing.starts_at, Hearing.id)
        )
    ).all()
    queued = 0
    places = {place.id: place for place in await municipalities(session)}
    for hearing in hearings:
        offset = due_offset(hearing.starts_at, now)
        own = quiet_hours_of(places.get(hearing.municipality_id), quiet)
        send_at = deliver_at(now, hearing.starts_at, own)
        if offset is None or send_at is None:
            continue
        who = participants.rsvp_contacts(hearing.id, (Rsvp.GOING, Rsvp.MAYBE)).where(
            HearingRsvp.updated_at <= hearing.starts_at - offset.before,
            HearingRsvp.waiting_since.is_(None),  # on the waiting list: no reminder until they have a place
            HearingRsvp.contact_id.not_in(notice_not_yet_seen(hearing.id, now)),
        )
        queued += await participants.send_to(
            session,
            participants.reach(session, who),
            notices.reminder(hearing, when(send_at, hearing.starts_at)),
            reminder_key(hearing.id, offset, hearing.starts_at),
            not_before=send_at,
            now=now,
        )
    return queued


async def mark_held(session: AsyncSession, now: datetime | None = None) -> int:
    """Announced hearings whose time is over become held (so feedback can follow); returns how many."""
    now = now or utcnow()
    started = (
        await session.scalars(
            select(Hearing).where(Hearing.status == HearingStatus.ANNOUNCED, Hearing.starts_at <= now)
        )
    ).all()
    over = [hearing for hearing in started if notices.ends_at(hearing) <= now]
    for hearing in over:
        hearing.status, hearing.updated_at = HearingStatus.HELD, now
        await audit(
            session,
            SCHEDULER,
            "hearing.held",
            f"hearing:{hearing.id}",
            municipality_id=hearing.municipality_id,
            now=now,
        )
    await session.flush()
    return len(over)


class ReminderHost(Protocol):
    """What the component needs of the running service (`bot.app.Service`)."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def stopping(self) -> asyncio.Event: ...


async def run_hearing_reminders(service: ReminderHost, *, quiet: QuietHours | None = None) -> None:
    """The service component: every minute, queue due reminders and close finished hearings.

    `quiet`: the service's quiet hours (QUIET_HOURS); a municipality's own setting overrides them."""
    while not service.stopping.is_set():
        try:
            async with unit_of_work(service.sessions) as session:
                now = utcnow()
                held = await mark_held(session, now)
                queued = await enqueue_due_reminders(session, now, quiet=quiet)
            if queued or held:
                log.info("hearings: %d reminders queued, %d hearings held", queued, held)
        except Exception:  # the database is away: try again next round, never stop the service
            log.exception("hearing reminders failed; trying again in %.0fs", RUN_EVERY_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(service.stopping.wait(), RUN_EVERY_SECONDS)
