"""Moving a hearing to a new time: everyone who answered going or maybe is told in their language, the
reminders follow the new time, and the answers stay.

Reminders of the old time that have not gone yet are withdrawn; reminder keys carry the start
(`hearings.reminders.reminder_key`), so the reminders of the new time are queued afresh by the next
every-minute run and never twice, restart or not. The "moved" message's key carries the new start too:
moving a hearing twice tells people twice, running the same move again tells nobody again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import InvalidDefinition, InvalidTransition
from campaigns.schedule import QuietHours
from channels.message import Text
from contacts.registry import audit
from hearings import calendar, notice_period, notices, participants
from hearings.officers import ensure_scope, get, send_time
from storage.base import utcnow
from storage.models import Municipality
from storage.models.campaigns import StaffMember
from storage.models.hearings import Hearing, HearingStatus, Rsvp


def moved_key(hearing: Hearing) -> participants.KeyFor:
    start = int(hearing.starts_at.timestamp())
    return lambda p: f"h{hearing.id}:moved@{start}:p{p.contact_id}:{p.channel}"


async def reschedule(
    session: AsyncSession,
    hearing_id: int,
    starts_at: datetime,
    actor: StaffMember,
    now: datetime | None = None,
    *,
    quiet: QuietHours | None = None,
    urgent: bool = False,
    public_base_url: str | None = None,
) -> tuple[Hearing, int, datetime]:
    """Move the hearing to `starts_at` (UTC); returns it, how many were told, and when they are told."""
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    subject = f"hearing:{hearing.id}"
    await ensure_scope(session, actor, hearing.municipality_id, action="reschedule", subject=subject, now=now)
    if hearing.status not in (HearingStatus.DRAFT, HearingStatus.ANNOUNCED) or hearing.starts_at <= now:
        raise InvalidTransition(Text("Only a hearing that has not started or been cancelled can be moved."))
    if starts_at <= now:
        raise InvalidDefinition(Text("The hearing would start in the past."))
    if starts_at == hearing.starts_at:
        raise InvalidDefinition(Text("The hearing already starts at that time."))
    was = hearing.starts_at
    hearing.starts_at, hearing.updated_at = starts_at, now
    await session.flush()
    withdrawn = await participants.withdraw(session, hearing.id, ("rem",), now, reason="hearing moved")
    told, goes = 0, now
    if hearing.status == HearingStatus.ANNOUNCED:
        place = await session.get_one(Municipality, hearing.municipality_id)
        goes = await send_time(session, hearing, now, quiet=quiet, urgent=urgent)
        who = participants.rsvp_contacts(hearing.id, (Rsvp.GOING, Rsvp.MAYBE))
        told = await participants.send_to(
            session,
            participants.reach(session, who),
            notices.moved(hearing, was, calendar.file_url(public_base_url, place.code, hearing.id)),
            moved_key(hearing),
            not_before=goes,
            now=now,
        )
    await audit(
        session,
        actor.label,
        "hearing.rescheduled",
        subject,
        municipality_id=hearing.municipality_id,
        details={
            "from": was.isoformat(),
            "to": starts_at.isoformat(),
            "told": told,
            "withdrawn": withdrawn,
            "urgent": urgent,
            "notice_days": round(notice_period.notice_days(hearing, now), 2),
        },
        now=now,
    )
    return hearing, told, goes
