"""Simulated people (the web chat simulator, /try): kept apart from real ones, gone after a day.

They are real rows walking the real conversations, flagged `contacts.simulated`; the flag survives
/delete (the anonymous row keeps it), so `real_person` keeps their answers out of results, exports and
audiences for as long as any row of theirs exists, and `purge_simulated` then removes every row.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.identities import find_identity
from storage.models import Channel, Contact
from storage.models.deliveries import Delivery
from storage.models.surveys import SurveyResponse

KEPT_FOR = timedelta(days=1)
SIMULATED_PREFIX = "sim:"


def new_address() -> str:
    """A fresh simulated address: unguessable, since it is the page's only key to the conversation."""
    return SIMULATED_PREFIX + secrets.token_urlsafe(16)


def is_simulated(address: str | None) -> bool:
    """Whether an address is a simulator's: no Telegram id or E.164 number starts with `sim:`."""
    return bool(address) and str(address).startswith(SIMULATED_PREFIX)


def real_person(contact_id: Any) -> ColumnElement[bool]:
    """True for a row that is not a simulated person's (a row whose person was deleted included)."""
    person = aliased(Contact)  # the caller's query may join Contact itself
    return ~exists().where(person.id == contact_id, person.simulated.is_(True))


async def flag_simulated(session: AsyncSession, channel: Channel, address: str) -> Contact | None:
    """Mark the person behind a simulated address as simulated (a conversation may have just created
    them); within the transaction that created the row, so no real-looking row is ever committed."""
    if not is_simulated(address):
        raise ValueError("not a simulated address")
    identity = await find_identity(session, channel, address)
    if identity is None:
        return None
    contact = await session.get_one(Contact, identity.contact_id)
    contact.simulated = True
    return contact


async def purge_simulated(
    session: AsyncSession, *, now: datetime, kept_for: timedelta = KEPT_FOR, batch: int = 500
) -> int:
    """Delete simulated people last seen more than `kept_for` ago, with their answers and messages."""
    last_seen = func.coalesce(Contact.last_seen_at, Contact.created_at)
    stale = list(
        (
            await session.scalars(
                select(Contact.id).where(Contact.simulated.is_(True), last_seen < now - kept_for).limit(batch)
            )
        ).all()
    )
    if not stale:
        return 0
    options = {"synchronize_session": False}
    # Answers go with their response (ON DELETE CASCADE); both point at the person with SET NULL, so they
    # are deleted first: left behind, they would count as an anonymous real person's.
    await session.execute(
        delete(SurveyResponse).where(SurveyResponse.contact_id.in_(stale)), execution_options=options
    )
    await session.execute(delete(Delivery).where(Delivery.contact_id.in_(stale)), execution_options=options)
    await session.execute(delete(Contact).where(Contact.id.in_(stale)), execution_options=options)
    await session.flush()
    return len(stale)
