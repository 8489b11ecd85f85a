"""Storage limitation (PRIVACY.md, requirement 8): what the privacy notice promises, done on schedule.

- a profile inactive for 12 months is erased like a /delete (anonymous row and answers stay);
- a sign-up never finished (no consent) is dropped after 7 days: nothing is kept without consent;
- provider event ids kept for de-duplication are pruned after 7 days.
Idempotent, so any number of processes may run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts.privacy import erase
from contacts.vault import DataVault
from storage.base import utcnow
from storage.models import Contact, ContactStatus, InboundEvent

INACTIVE_AFTER = timedelta(days=365)
UNFINISHED_SIGNUP_AFTER = timedelta(days=7)
EVENT_IDS_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class PurgeReport:
    erased_inactive: int
    dropped_unfinished: int
    pruned_events: int


async def purge(
    session: AsyncSession,
    vault: DataVault,
    *,
    now: datetime | None = None,
    inactive_after: timedelta = INACTIVE_AFTER,
    batch: int = 500,
) -> PurgeReport:
    now = now or utcnow()
    last_activity = func.coalesce(Contact.last_seen_at, Contact.consent_at, Contact.created_at)
    inactive = (
        await session.scalars(
            select(Contact)
            .where(
                Contact.status != ContactStatus.ERASED,
                Contact.status != ContactStatus.PENDING,
                last_activity < now - inactive_after,
            )
            .limit(batch)
        )
    ).all()
    for contact in inactive:
        await erase(session, vault, contact, actor="retention", now=now)
    unfinished = (
        await session.scalars(
            select(Contact)
            .where(
                Contact.status == ContactStatus.PENDING,
                or_(Contact.last_seen_at.is_(None), Contact.last_seen_at < now - UNFINISHED_SIGNUP_AFTER),
                Contact.created_at < now - UNFINISHED_SIGNUP_AFTER,
            )
            .limit(batch)
        )
    ).all()
    for contact in unfinished:
        await session.delete(contact)
    pruned = await session.execute(
        delete(InboundEvent).where(InboundEvent.received_at < now - EVENT_IDS_KEPT)
    )
    await session.flush()
    return PurgeReport(len(inactive), len(unfinished), pruned.rowcount or 0)  # type: ignore[attr-defined]
