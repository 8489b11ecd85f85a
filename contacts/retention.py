"""Storage limitation (PRIVACY.md, requirement 8): what the privacy notice promises, done on schedule.

- a profile inactive for 12 months is erased like a /delete (anonymous row and answers stay);
- a sign-up never finished (no consent) is dropped after 7 days: nothing is kept without consent;
- provider event ids kept for de-duplication are pruned after 7 days;
- the confirmation of a staff erasure (`privacy.erase_on_request`) loses its address and text once it
  has gone (or failed): it is the only outbox row that still names an erased person.
Idempotent, so any number of processes may run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from channels.claims import FAREWELL_PREFIX
from channels.outbox import OPEN_STATUSES
from contacts.privacy import erase
from contacts.simulated import purge_simulated
from contacts.vault import DataVault
from storage.base import utcnow
from storage.models import Contact, ContactStatus, InboundEvent
from storage.models.deliveries import Delivery

INACTIVE_AFTER = timedelta(days=365)
UNFINISHED_SIGNUP_AFTER = timedelta(days=7)
EVENT_IDS_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class PurgeReport:
    erased_inactive: int
    dropped_unfinished: int
    pruned_events: int
    scrubbed_farewells: int = 0


async def purge(
    session: AsyncSession,
    vault: DataVault,
    *,
    now: datetime | None = None,
    inactive_after: timedelta = INACTIVE_AFTER,
    batch: int = 500,
) -> PurgeReport:
    now = now or utcnow()
    await purge_simulated(session, now=now)  # the chat simulator's people go whole, a day after last seen
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
    scrubbed = await session.execute(
        update(Delivery)
        .where(
            Delivery.dedupe_key.startswith(FAREWELL_PREFIX, autoescape=True),
            Delivery.status.not_in(OPEN_STATUSES),
            Delivery.address.is_not(None),
        )
        .values(address=None, payload={})
    )
    await session.flush()
    return PurgeReport(
        len(inactive),
        len(unfinished),
        cast(CursorResult[Any], pruned).rowcount or 0,
        cast(CursorResult[Any], scrubbed).rowcount or 0,
    )
