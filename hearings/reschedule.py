"""Moving a hearing to a new time: everyone who answered going or maybe is told in their language, the
reminders follow the new time, notices still waiting in the outbox say the new time, and the answers stay.

Reminders of the old time that have not gone yet are withdrawn; reminder keys carry the start
(`hearings.reminders.reminder_key`), so the reminders of the new time are queued afresh by the next
every-minute run and never twice, restart or not. A withdrawn reminder gives up its key (a suffix names
the move), so a hearing moved back to that time gets its reminders again. The "moved" message's key
names the move (its new start and when it was made): moved, moved back and moved again is news each time.
The same move cannot be made twice: the hearing's row is locked while it moves, so a second move racing
the first (a double click) waits, then finds the hearing already at that time and is refused.
News of an earlier move that has not gone yet (held by quiet hours) is withdrawn: its reader gets one
message, from the time they last knew to the new one, or none when the hearing is back at that time.

A notice not sent yet (held by quiet hours, or waiting its turn) is rendered again in place, under its
own key: one row per person, so nobody gets the notice twice and the old time never goes out. Only a
notice a delivery worker holds at that moment (claimed, its lease running) may still go with the old
time: its reader is told of the move like those going or maybe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, and_, case, or_, select, union, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.errors import InvalidDefinition, InvalidTransition
from campaigns.schedule import QuietHours
from channels.message import Text
from channels.outbox import OPEN_STATUSES
from channels.payload import dump_outgoing, load_outgoing
from contacts.registry import audit
from hearings import calendar, notice_period, notices, participants, sms_notice
from hearings.officers import ensure_scope, get, send_time
from storage.base import utcnow
from storage.models import Channel, Municipality
from storage.models.campaigns import StaffMember
from storage.models.deliveries import Delivery, DeliveryStatus
from storage.models.hearings import Hearing, HearingStatus, Rsvp


class Moved(NamedTuple):
    hearing: Hearing
    told: int  # "moved" messages queued
    goes: datetime  # when they go out
    retimed: int  # notices not sent yet that now say the new time


def moved_key(hearing: Hearing, now: datetime) -> participants.KeyFor:
    """The news of this move: its new start and the moment (to the microsecond) it was made."""
    start, made = int(hearing.starts_at.timestamp()), round(now.timestamp() * 1_000_000)
    return lambda p: f"h{hearing.id}:moved@{start}:at{made}:p{p.contact_id}:{p.channel}"


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
) -> Moved:
    """Move the hearing to `starts_at` (UTC); returns it, how many were told and when, and how many
    waiting notices now say the new time."""
    now = now or utcnow()
    hearing = await get(session, hearing_id)
    await session.flush()  # a refresh drops changes not flushed yet
    await session.refresh(hearing, with_for_update=True)  # a racing move waits, then sees this one's time
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
    withdrawn = await withdraw_reminders(session, hearing.id, now)
    told, goes, retimed = 0, now, 0
    if hearing.status == HearingStatus.ANNOUNCED:
        place = await session.get_one(Municipality, hearing.municipality_id)
        goes = await send_time(session, hearing, now, quiet=quiet, urgent=urgent)
        retimed = await retime_notices(session, hearing, place.code, public_base_url, goes, now)
        knew = await withdraw_earlier_news(session, hearing.id, now)
        back = {contact for (contact, _), time in knew.items() if time == hearing.starts_at}
        coming = participants.rsvp_contacts(hearing.id, (Rsvp.GOING, Rsvp.MAYBE))
        who = cast(Select[int], select(union(coming, notices_in_flight(hearing.id, now)).subquery().c[0]))
        url = calendar.file_url(public_base_url, place.code, hearing.id)
        told = await participants.send_to(
            session,
            participants.reach(session, who.where(who.selected_columns[0].not_in(back)) if back else who),
            lambda person: notices.moved(hearing, knew.get((person.contact_id, person.channel), was), url),
            moved_key(hearing, now),
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
            "retimed": retimed,
            "urgent": urgent,
            "notice_days": round(notice_period.notice_days(hearing, now), 2),
        },
        now=now,
    )
    return Moved(hearing, told, goes, retimed)


async def withdraw_reminders(session: AsyncSession, hearing_id: int, now: datetime) -> int:
    """Withdraw the hearing's reminders not sent yet (`participants.withdraw`), each giving up its key:
    the key names only the start, so moved back to that time, the hearing's reminders are due again."""
    reminders = Delivery.dedupe_key.startswith(f"h{hearing_id}:rem", autoescape=True)
    return await _withdraw(session, and_(reminders, Delivery.status.in_(OPEN_STATUSES)), "hearing moved", now)


async def _withdraw(session: AsyncSession, which: Any, reason: str, now: datetime) -> int:
    """Cancel the deliveries `which` selects, each giving up its key (suffixed with the moment): a later
    message with the same key may be queued again."""
    result = await session.execute(
        update(Delivery)
        .where(which)
        .values(
            status=DeliveryStatus.CANCELLED,
            last_error=reason,
            lease_until=None,
            updated_at=now,
            dedupe_key=Delivery.dedupe_key + f":withdrawn@{round(now.timestamp() * 1_000_000)}",
        ),
        execution_options={"synchronize_session": False},
    )
    return cast(CursorResult[Any], result).rowcount


async def withdraw_earlier_news(
    session: AsyncSession, hearing_id: int, now: datetime
) -> dict[tuple[int, str], datetime]:
    """Withdraw the news of earlier moves that has not gone yet (each giving up its key); returns, per
    person and channel, the time that news moved the hearing from: the time they last knew of."""
    earlier = await session.execute(
        select(Delivery.id, Delivery.contact_id, Delivery.channel, Delivery.payload)
        .where(
            Delivery.dedupe_key.startswith(f"h{hearing_id}:moved@", autoescape=True),
            _waiting(now),
            Delivery.contact_id.is_not(None),
        )
        .order_by(Delivery.id)
    )
    knew: dict[tuple[int, str], datetime] = {}
    withdrawn: list[int] = []
    for delivery_id, contact_id, channel, payload in earlier.all():
        first = load_outgoing(payload).parts[0]
        was = first.params.get("was") if isinstance(first, Text) else None
        if isinstance(was, datetime):
            knew.setdefault((contact_id, channel), was)  # the first news not sent: what they knew before
        withdrawn.append(delivery_id)
    if withdrawn:
        await _withdraw(session, Delivery.id.in_(withdrawn), "hearing moved again", now)
    return knew


def _notices(hearing_id: int) -> Any:
    return Delivery.dedupe_key.startswith(f"h{hearing_id}:notice:", autoescape=True)


def _waiting(now: datetime) -> Any:
    """Not sent, and in no worker's hands: pending, or claimed by a worker whose lease ran out (the next
    claim takes it again, with the payload it finds then)."""
    expired = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until <= now)
    return or_(Delivery.status == DeliveryStatus.PENDING, expired)


def notices_in_flight(hearing_id: int, now: datetime) -> Select[Any]:
    """People whose notice a worker is sending right now, with the old time."""
    return select(Delivery.contact_id).where(
        _notices(hearing_id),
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.lease_until > now,
        Delivery.contact_id.is_not(None),
    )


async def retime_notices(
    session: AsyncSession,
    hearing: Hearing,
    code: str,
    public_base_url: str | None,
    goes: datetime,
    now: datetime,
) -> int:
    """Render the hearing's waiting notices again for the new time, per channel and language as at
    announcement, in place (same row, same key). Each keeps its release time (quiet hours), unless
    that is after the new start: then it goes when the news of the move goes (`goes`)."""
    groups = await session.execute(
        select(Delivery.channel, Delivery.language).where(_notices(hearing.id), _waiting(now)).distinct()
    )
    retimed = 0
    for channel, language in groups.all():
        message = sms_notice.notice_for(hearing, Channel(channel), language, code, public_base_url)
        result = await session.execute(
            update(Delivery)
            .where(
                _notices(hearing.id),
                _waiting(now),
                Delivery.channel == channel,
                Delivery.language == language,
            )
            .values(
                payload=dump_outgoing(message),
                not_before=case((Delivery.not_before >= hearing.starts_at, goes), else_=Delivery.not_before),
                updated_at=now,
            ),
            execution_options={"synchronize_session": False},
        )
        retimed += cast(CursorResult[Any], result).rowcount
    return retimed
