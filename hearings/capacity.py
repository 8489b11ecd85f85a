"""Places at a hearing with a capacity, and its waiting list.

Only "going" takes a place ("maybe" does not). Someone who says going when every place is taken waits
(`HearingRsvp.waiting_since`); when a person with a place changes their answer, the one waiting longest
is moved up and told through the outbox (after quiet hours). Waiting people get no reminders until they
have a place. Without a capacity nobody ever waits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns.quiet import next_allowed
from channels.message import Outgoing, Text
from hearings import notices, participants
from storage.models import Municipality
from storage.models.hearings import Hearing, HearingRsvp, Rsvp


async def taken(session: AsyncSession, hearing_id: int) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(HearingRsvp)
        .where(
            HearingRsvp.hearing_id == hearing_id,
            HearingRsvp.answer == Rsvp.GOING,
            HearingRsvp.waiting_since.is_(None),
        )
    )
    return int(found or 0)


async def position(session: AsyncSession, rsvp: HearingRsvp) -> int:
    """1 for the person waiting longest."""
    assert rsvp.waiting_since is not None
    ahead = await session.scalar(
        select(func.count())
        .select_from(HearingRsvp)
        .where(
            HearingRsvp.hearing_id == rsvp.hearing_id,
            HearingRsvp.waiting_since.is_not(None),
            (HearingRsvp.waiting_since < rsvp.waiting_since)
            | ((HearingRsvp.waiting_since == rsvp.waiting_since) & (HearingRsvp.id < rsvp.id)),
        )
    )
    return int(ahead or 0) + 1


async def place_or_wait(
    session: AsyncSession, hearing: Hearing, rsvp: HearingRsvp, had_place: bool, now: datetime
) -> int | None:
    """After `rsvp` changed: give or keep a place, or put the person on the waiting list (returns their
    position); a place given up goes to the next person waiting."""
    if hearing.capacity is None:
        rsvp.waiting_since = None
        return None
    if rsvp.answer != Rsvp.GOING:
        rsvp.waiting_since = None
        await session.flush()
        if had_place:
            await move_up(session, hearing, now)
        return None
    if had_place or rsvp.waiting_since is not None:
        return await position(session, rsvp) if rsvp.waiting_since is not None else None
    await session.flush()
    if await taken(session, hearing.id) > hearing.capacity:  # this person's row is counted already
        rsvp.waiting_since = now
        await session.flush()
        return await position(session, rsvp)
    return None


async def move_up(session: AsyncSession, hearing: Hearing, now: datetime) -> int:
    """Give free places to those waiting longest and tell them; returns how many were moved up."""
    assert hearing.capacity is not None
    free = hearing.capacity - await taken(session, hearing.id)
    if free <= 0:
        return 0
    nxt = (
        await session.scalars(
            select(HearingRsvp)
            .where(HearingRsvp.hearing_id == hearing.id, HearingRsvp.waiting_since.is_not(None))
            .order_by(HearingRsvp.waiting_since, HearingRsvp.id)
            .limit(free)
        )
    ).all()
    for rsvp in nxt:
        rsvp.waiting_since, rsvp.updated_at = None, now
    await session.flush()
    if nxt:
        told = Outgoing(
            parts=(
                Text.of(
                    "A place is free for you at “{title}” on {start}.",
                    title=notices.title(hearing),
                    start=hearing.starts_at,
                ),
            ),
            choices=notices.choices(hearing.id, Rsvp.GOING)[:3],
        )
        ids = [rsvp.contact_id for rsvp in nxt]
        who = select(HearingRsvp.contact_id).where(
            HearingRsvp.hearing_id == hearing.id, HearingRsvp.contact_id.in_(ids)
        )
        start = int(now.timestamp())
        await participants.send_to(
            session,
            participants.reach(session, who),
            told,
            lambda p: f"h{hearing.id}:place@{start}:p{p.contact_id}:{p.channel}",
            not_before=next_allowed(now, await session.get(Municipality, hearing.municipality_id)),
            now=now,
        )
    return len(nxt)
